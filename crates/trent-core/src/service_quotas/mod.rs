//! The Service Quotas API (ServiceQuotasV20190624) for service code `kms`.
