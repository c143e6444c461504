export * from './certs.js'
export * from './httpbin/index.js'
export * from './request.js'
export * from './arbitraries/index.js'
