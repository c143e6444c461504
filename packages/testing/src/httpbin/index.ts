export { httpbinHandler } from './handler.js'
export { type RunningHttpbin, type StartHttpbinOptions, startHttpbin } from './server.js'
