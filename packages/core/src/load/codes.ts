/** Diagnostic codes of loading and schema checking (PTC1000–1099); each has a row in docs/errors.md. */
export const LOAD_CODES = {
  /** A path given to the loader does not exist or cannot be read. */
  unreadable: 'PTC1000',
  /** YAML or JSON syntax error (the document is skipped). */
  syntax: 'PTC1001',
  /** A YAML warning (e.g. an unknown tag); the document is still read. */
  yamlWarning: 'PTC1002',
  /** A document is not a Kubernetes object (not a mapping, no `kind`, bad `List`). */
  notAnObject: 'PTC1003',
  /** A kind Portico does not handle; the document is ignored. */
  unhandledKind: 'PTC1004',
  /** A handled kind with an apiVersion that does not serve it. */
  apiVersion: 'PTC1005',
  /** The same kind/namespace/name defined twice; the later definition replaces the earlier. */
  duplicate: 'PTC1006',
  /** A resource's `metadata.namespace` differs from the namespace a change was given (`-n`). */
  namespaceMismatch: 'PTC1007',
  /** A field the schema does not know. */
  unknownField: 'PTC1010',
  /** A value of the wrong JSON type. */
  wrongType: 'PTC1011',
  /** A required field is missing. */
  missingField: 'PTC1012',
  /** An enum value that is not one of the allowed names. */
  badEnum: 'PTC1013',
  /** Two members of one `oneof` group are set. */
  oneOf: 'PTC1014',
  /** A duration that is not Go duration syntax. */
  badDuration: 'PTC1015',
  /** A value of the right type that the schema refuses (name format, integer range, base64). */
  badValue: 'PTC1016',
} as const
