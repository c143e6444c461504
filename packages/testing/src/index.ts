/**
 * Test helpers for Portico: httpbin fake, certificates, resolve-style requests, the seed scenario's resources, fast-check arbitraries.
 *
 * @packageDocumentation
 * @module @portico/testing
 */
export * from './arbitraries/index.js'
export * from './certs.js'
export * from './httpbin/index.js'
export * from './request.js'
export * from './seed.js'
export * from './with-gateway.js'
