import type { Report } from './report.js'
import type { VirtualServiceCode } from './virtual-service-codes.js'

/** The findings of one VirtualService, with its codes typed. */
export type VirtualServiceReport = Report<VirtualServiceCode>

/** Go's `%f`: six decimals. */
export function goFixed(value: number): string {
  return value.toFixed(6)
}
