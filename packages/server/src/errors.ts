/** Stable codes of the errors the server raises while loading its configuration. */
export type ServerErrorCode =
  /** A certificate, key or CA file cannot be read. */
  | 'PTC4101'
  /** A certificate or key is not valid PEM, or the certificate does not match its key. */
  | 'PTC4102'
  /** A TLS server that terminates has no certificate or key. */
  | 'PTC4103'
  /** A listener cannot bind its address and port. */
  | 'PTC4104'
  /** A TLS mode the server cannot serve (ISTIO_MUTUAL, AUTO_PASSTHROUGH). */
  | 'PTC4105'

const brand = Symbol.for('portico.server.error')

/**
 * An error of the server's configuration or lifecycle. It carries a stable `code` (listed in
 * docs/errors.md) and names the server and file involved in its message.
 */
export class PorticoServerError extends Error {
  /** Stable code, e.g. `PTC4101`. */
  readonly code: ServerErrorCode
  readonly [brand] = true

  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PorticoServerError'
    this.code = code
  }

  /** True for errors raised by this package, across copies of the module. */
  static is(value: unknown): value is PorticoServerError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true
  }
}
