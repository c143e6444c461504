export {
  type AccessLog,
  type AccessLogOptions,
  type AccessLogSink,
  createAccessLog,
  formatJsonLine,
  formatTextLine,
} from './access-log.js'
