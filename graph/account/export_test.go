package account

// HeaderChecks is how many Authorization headers s has checked, not
// counting the answers taken from a request's earlier check.
func HeaderChecks(s *Service) int64 { return s.cache.lookups.Load() }
