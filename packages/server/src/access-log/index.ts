export {
  type AccessLog,
  type AccessLogOptions,
  type AccessLogSink,
  createAccessLog,
  formatJsonLine,
  formatTcpJsonLine,
  formatTcpTextLine,
  formatTextLine,
} from './access-log.js'
