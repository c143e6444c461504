/**
 * Diagnostic codes of the per-resource rules for Gateway, DestinationRule, ServiceEntry, Secret
 * and metadata (PTC2000–2299), of duplicate resources, and of the cross-resource analysis
 * (Istio's analyzer codes where the meaning is the same, PTC3000–3099 otherwise).
 */
export const CODES = {
  // metadata (section 3)
  gatewayName: 'PTC2000',
  forbiddenAnnotation: 'PTC2001',
  // Gateway (section 4)
  gatewayNoServers: 'PTC2010',
  serverNoHosts: 'PTC2011',
  serverHost: 'PTC2012',
  serverProtocol: 'PTC2013',
  serverPortNumber: 'PTC2014',
  serverPortName: 'PTC2015',
  serverTargetPort: 'PTC2016',
  serverDuplicatePortName: 'PTC2017',
  serverBind: 'PTC2018',
  serverTlsRequired: 'PTC2019',
  serverTlsNotAllowed: 'PTC2020',
  httpsRedirectNonHttp: 'PTC2021',
  serverTls: 'PTC2030',
  serverTlsWarning: 'PTC2031',
  // DestinationRule (section 8)
  drHost: 'PTC2100',
  trafficPolicyEmpty: 'PTC2101',
  tunnelAndProxyProtocol: 'PTC2102',
  subsetName: 'PTC2103',
  labels: 'PTC2104',
  connectionPool: 'PTC2105',
  outlierDetection: 'PTC2106',
  outlierDetectionWarning: 'PTC2107',
  loadBalancer: 'PTC2108',
  loadBalancerWarning: 'PTC2109',
  clientTls: 'PTC2110',
  portTrafficPolicy: 'PTC2111',
  exportTo: 'PTC2112',
  workloadSelector: 'PTC2113',
  workloadSelectorWarning: 'PTC2114',
  duration: 'PTC2115',
  tunnel: 'PTC2116',
  // ServiceEntry (section 9)
  seHosts: 'PTC2200',
  sePartialWildcard: 'PTC2201',
  seAddress: 'PTC2202',
  sePort: 'PTC2203',
  seResolution: 'PTC2204',
  seEndpoint: 'PTC2205',
  seMultipleHostsTcp: 'PTC2206',
  seWorkloadSelector: 'PTC2207',
  seExportTo: 'PTC2208',
  seWarning: 'PTC2209',
  // Secret (section 10)
  secretKeys: 'PTC2250',
  secretNoCertificate: 'PTC2251',
  // whole config set
  duplicateResource: 'PTC2290',
  // analysis (section 11): Istio's analyzer codes
  deprecated: 'IST0002',
  referenceNotFound: 'IST0101',
  destinationPortRequired: 'IST0112',
  noCaDestinationLevel: 'IST0128',
  noCaPortLevel: 'IST0129',
  hostNotInGateway: 'IST0132',
  duplicateCertificate: 'IST0138',
  conflictingGateways: 'IST0145',
  jwtClaimRouteWithoutAuthn: 'IST0149',
  invalidGatewayCredential: 'IST0161',
  referencedInternalGateway: 'IST0165',
  subsetSelectsNothing: 'IST0173',
  unknownDestinationRuleHost: 'IST0174',
  conflictingServiceEntryProtocol: 'IST0177',
} as const

/** One of {@link CODES}. */
export type ValidationCode = (typeof CODES)[keyof typeof CODES]
