// Notifications of the alerting service: the routing tree (labels → receivers, Alertmanager
// semantics), the notification content of a group, the receivers (webhook, e-mail, SMS) and the
// retry policy. Free of the service's store and bus; see README.md in this folder.
export * from './content.js';
export * from './delivery.js';
export * from './email.receiver.js';
export { checkUrl, postForDelivery } from './http-post.js';
export * from './routing.js';
export * from './sms.receiver.js';
export * from './webhook.receiver.js';
