//! Request quotas: the catalog of AWS KMS quotas, profiles, GCRA and the limiter.
