/** The validating admission webhook (HTTPS, AdmissionReview v1). */

export { admissionInstallManifests, type InstallOptions } from "./install.js";
export {
  createWebhook,
  DEFAULT_WEBHOOK_LIMITS,
  type Webhook,
  type WebhookLimits,
  type WebhookOptions,
  type WebhookStats,
} from "./server.js";
