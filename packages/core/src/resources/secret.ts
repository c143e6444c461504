import { z } from 'zod'
import { objectMetaSchema } from './envelope.js'

/**
 * Where standard base64 (Go's `base64.StdEncoding`, which skips CR and LF) first goes wrong, as
 * Kubernetes reports it; `undefined` when the text decodes.
 */
export function base64Error(text: string): string | undefined {
  let seen = 0
  let padding = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (c === '\r' || c === '\n') continue
    if (c === '=') {
      padding++
      if (padding > 2 || seen % 4 < 2) return `illegal base64 data at input byte ${i}`
      seen++
      continue
    }
    if (padding > 0 || !/[A-Za-z0-9+/]/.test(c)) return `illegal base64 data at input byte ${i}`
    seen++
  }
  if (seen % 4 !== 0) return `illegal base64 data at input byte ${text.length}`
  return undefined
}

const base64Schema = z.string().superRefine((text, ctx) => {
  const problem = base64Error(text)
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: text })
})

/**
 * A Kubernetes Secret, as `credentialName` refers to it: `type: kubernetes.io/tls` with `tls.crt`
 * and `tls.key` (and optionally `ca.crt`), in `data` (base64) or `stringData` (plain text).
 * Other types (`Opaque` with `cert`/`key`, which Istio also reads) are accepted by the schema;
 * which keys a secret must hold is a validation rule.
 */
export const secretSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: objectMetaSchema,
  type: z.string().optional(),
  data: z.record(z.string(), base64Schema).optional(),
  stringData: z.record(z.string(), z.string()).optional(),
  immutable: z.boolean().optional(),
})
/** A Kubernetes Secret (TLS credentials for `credentialName`). */
export type SecretResource = z.infer<typeof secretSchema>

/**
 * The text of one key of a Secret: `stringData` first (as Kubernetes merges it over `data`), else
 * `data` decoded from base64; `undefined` when neither has the key.
 */
export function secretValue(
  secret: {
    readonly data?: Readonly<Record<string, string>>
    readonly stringData?: Readonly<Record<string, string>>
  },
  key: string,
): string | undefined {
  const s = secret.stringData?.[key]
  if (s !== undefined) return s
  const d = secret.data?.[key]
  if (d !== undefined) return Buffer.from(d, 'base64').toString('utf8')
  return undefined
}
