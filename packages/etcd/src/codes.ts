/** A key under the prefix that is not in the key layout; it is ignored. */
export const PTC_KEY_IGNORED = 'PTC4300'
/** A key's value is not the resource its key names (not JSON, wrong kind, namespace or name). */
export const PTC_BAD_VALUE = 'PTC4301'
/** The store could not be reached or answered with an error. */
export const PTC_STORE_UNREACHABLE = 'PTC4302'
/** Other writers changed the configuration on every try; nothing was written. */
export const PTC_WRITE_CONFLICT = 'PTC4303'
