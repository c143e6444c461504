import { channel } from 'node:diagnostics_channel'
import { CHANNELS, type ConfigEvent } from './channels.js'

const configChannel = channel(CHANNELS.config)

/** Publishes a configuration change on `portico:config`. */
export function publishConfig(event: ConfigEvent): void {
  if (configChannel.hasSubscribers) configChannel.publish(event)
}
