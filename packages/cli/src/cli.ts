import { applyCommand, applyHelp } from './commands/apply.js'
import { createCommand, createHelp } from './commands/create.js'
import { deleteCommand, deleteHelp } from './commands/delete.js'
import { demoCommand, demoHelp } from './commands/demo.js'
import { replaceCommand, replaceHelp } from './commands/replace.js'
import { routesCommand, routesHelp } from './commands/routes.js'
import { schemaCommand, schemaHelp } from './commands/schema.js'
import { serveCommand, serveHelp } from './commands/serve.js'
import { statusCommand, statusHelp } from './commands/status.js'
import { validateCommand, validateHelp } from './commands/validate.js'
import { type CliIo, EXIT, println, UsageError } from './io.js'
import { cliVersion } from './version.js'

type Command = (argv: readonly string[], io: CliIo) => Promise<number>

const commands: Record<string, { run: Command; help: string; summary: string }> = {
  serve: { run: serveCommand, help: serveHelp, summary: 'serve the configuration on Node listeners' },
  demo: {
    run: demoCommand,
    help: demoHelp,
    summary: "run the ingress task's httpbin example on 127.0.0.1:8080/8443",
  },
  validate: { run: validateCommand, help: validateHelp, summary: 'validate configuration as Istio would' },
  routes: {
    run: routesCommand,
    help: routesHelp,
    summary: 'print the compiled route table, or --explain one request',
  },
  status: {
    run: statusCommand,
    help: statusHelp,
    summary: 'print the Gateway API status conditions (Gateways, listeners, routes)',
  },
  schema: { run: schemaCommand, help: schemaHelp, summary: 'print the JSON Schema of the resource kinds' },
  create: {
    run: createCommand,
    help: createHelp,
    summary: 'add resources to a running gateway (istioctl create)',
  },
  replace: {
    run: replaceCommand,
    help: replaceHelp,
    summary: 'replace resources of a running gateway (istioctl replace)',
  },
  apply: { run: applyCommand, help: applyHelp, summary: 'create or replace resources of a running gateway' },
  delete: {
    run: deleteCommand,
    help: deleteHelp,
    summary: 'delete resources of a running gateway (istioctl delete)',
  },
}

/** The names of the commands, in the order the help lists them. */
export const commandNames: readonly string[] = Object.keys(commands)

function helpText(): string {
  const lines = [
    'usage: portico <command> [options]',
    '       portico <command> --help | portico help <command> | portico --version',
    '',
    'commands:',
  ]
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.summary}`)
  lines.push('', ...Object.values(commands).map((c) => `  ${c.help}`))
  return lines.join('\n')
}

/** Runs the portico command line with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io?: Partial<CliIo>): Promise<number> {
  const streams: CliIo = {
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    stdin: io?.stdin ?? process.stdin,
    cwd: io?.cwd ?? process.cwd(),
    ...(io?.signal ? { signal: io.signal } : {}),
  }
  const [name, ...rest] = argv
  if (name === '--version' || name === '-V' || name === 'version') {
    println(streams.stdout, cliVersion())
    return EXIT.ok
  }
  if (name === 'help' && rest[0] !== undefined) return main([rest[0], '--help'], streams)
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    println(name === undefined ? streams.stderr : streams.stdout, helpText())
    return name === undefined ? EXIT.usage : EXIT.ok
  }
  const command = commands[name]
  if (!command) {
    println(streams.stderr, `portico: unknown command "${name}"\n\n${helpText()}`)
    return EXIT.usage
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    println(streams.stdout, `usage: ${command.help}\n\n${command.summary}`)
    return EXIT.ok
  }
  try {
    return await command.run(rest, streams)
  } catch (error) {
    if (error instanceof UsageError) {
      println(streams.stderr, `portico ${name}: ${error.message}\nusage: ${command.help}`)
      return EXIT.usage
    }
    const message = error instanceof Error ? error.message : String(error)
    println(streams.stderr, `portico ${name}: ${message}`)
    return EXIT.invalid
  }
}
