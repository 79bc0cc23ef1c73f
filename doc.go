// Package idconnect is the vocabulary of the idconnect connector: the
// [Provider] interface every identity provider implements, the [Login] kept
// between the redirect and the callback, the [Result] and normalised [Person]
// an exchange yields, the errors callers branch on, and the [Flow] that ties
// them together safely.
//
// A login runs in two halves:
//
//	Flow.Start    → random state, browser-binding cookie, pending Login stored,
//	                provider authorise URL returned
//	(the person logs in and consents at the provider)
//	Flow.Callback → state taken once, binding and expiry checked, code (and
//	                the redirect's iss) recorded
//	Flow.Redeem   → code taken once, binding checked, Provider.Exchange
//
// [Flow.Finish] runs Callback and Redeem in one step for callers that receive
// code and state together. Every pending login is single use: the store's
// atomic Take is the only way a login leaves the store.
//
// Providers live in their own packages (provider/myinfo, …) and import this
// one; this package never imports a provider.
package idconnect
