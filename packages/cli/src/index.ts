/**
 * The portico command line: serve, validate, routes.
 *
 * @packageDocumentation
 * @module @portico/cli
 */
export { main } from './cli.js'
export type { CliIo } from './io.js'
