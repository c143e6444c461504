export {
  CHANNELS,
  type ConfigEvent,
  type ConnectionEvent,
  type RequestEndEvent,
  type RequestStartEvent,
  type ResponseFlag,
  type UpstreamConnectedEvent,
} from './channels.js'
