export { AddressPolicy, parseAllowList, parseCidr, parseIp, type Cidr } from './address-policy.ts';
export {
  AddressRefusedError,
  allowedAddresses,
  checkWebhookHost,
  guardedLookup,
  systemResolver,
  type HostCheckOptions,
  type Resolver,
} from './guarded-lookup.ts';
export { SECRET_FORMAT, generateSecret, parseSecrets, sign } from './signature.ts';
export {
  DEFAULT_RETRY_SCHEDULE,
  MAX_RETRY_AFTER_MS,
  afterAttempt,
  jitter,
  parseDuration,
  parseRetryAfter,
  parseSchedule,
  succeeded,
  type AttemptResult,
} from './schedule.ts';
export { Deliverer, type Delivery, type DelivererOptions } from './deliver.ts';
export { eventPayload, type EventPayload } from './payload.ts';
export { allowCidrsField, retryScheduleField } from './env-fields.ts';
