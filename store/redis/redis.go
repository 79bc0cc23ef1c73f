// Package redis is a [store.Store] kept in Redis, so that several instances
// of the service share pending logins and results: a login started on one
// instance finishes on another.
//
// Put is SET key value NX PX ttl and Take is GETDEL, so a value is stored at
// most once per key and taken at most once, atomically, by whichever
// instance asks first. GETDEL needs Redis 6.2 or later (or a compatible
// server such as Valkey); [Store.Ping] checks for it, which makes an older
// server fail readiness with a clear message instead of failing callbacks.
// We chose GETDEL over a Lua GET-and-DEL script because it is one plain
// command that every Redis-compatible service allows, scripting included or
// not; Redis 6.0 reached its end of life in 2023.
//
// Values are stored as given. Logins carry secrets (the PKCE verifier, a
// DPoP private key), so wrap the store with [store.Sealed] before use:
//
//	client, err := redis.NewClient(os.Getenv("IDCONNECT_REDIS_URL"))
//	...
//	logins, err := store.NewSealed(redis.New(client, redis.Options{Prefix: "idconnect:login:"}), key)
//
// Keys are used as given after [Options.Prefix]; the Flow's keys are already
// hashes, so Redis never holds a usable state or code.
//
// Errors from Redis are wrapped with the operation that failed and never
// include a key or a value. A context's deadline bounds each call when the
// client honours it: clients made by [NewClient] and [Open] do; a client
// passed to [New] should set ContextTimeoutEnabled.
package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/idconnect/idconnect/store"
)

// DefaultPrefix is put before every key of a Store whose Options.Prefix is
// empty.
const DefaultPrefix = "idconnect:"

// Options configure a Store. The zero value is ready to use.
type Options struct {
	// Prefix is put before every key, so that several stores (pending
	// logins, results) and other applications can share one Redis. Empty
	// means DefaultPrefix.
	Prefix string
	// Now returns the current time, from which Put computes how long a
	// value lives; nil means time.Now. Redis expires values by its own
	// clock: Now only turns expiresAt into a duration.
	Now func() time.Time
}

// Store is a store.Store on Redis. It is safe for concurrent use.
type Store struct {
	client goredis.UniversalClient
	prefix string
	now    func() time.Time
	owned  bool // Close closes client
}

var _ store.Store = (*Store)(nil)

// New returns a Store on client, which may be a single node, a Sentinel
// (failover) client or a Cluster client. The caller keeps ownership of
// client: Close does not close it.
func New(client goredis.UniversalClient, opts Options) *Store {
	s := &Store{client: client, prefix: opts.Prefix, now: opts.Now}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Open connects to the Redis named by rawURL (see [NewClient]) and returns
// a Store on it. Close closes the connection. Open does not dial: use
// [Store.Ping] to check that the server is there.
func Open(rawURL string, opts Options) (*Store, error) {
	c, err := NewClient(rawURL)
	if err != nil {
		return nil, err
	}
	s := New(c, opts)
	s.owned = true
	return s, nil
}

// Put implements store.Store: SET key value NX PX ttl. A value whose
// expiresAt has already passed is not stored (it could never be taken).
// When Redis is out of memory (maxmemory with noeviction), the error
// matches store.ErrFull.
func (s *Store) Put(ctx context.Context, key string, value []byte, expiresAt time.Time) error {
	ttl := expiresAt.Sub(s.now())
	if ttl <= 0 {
		return nil
	}
	// PX counts milliseconds; round up so that a value never leaves early.
	ttl = ttl.Truncate(time.Millisecond) + time.Millisecond
	ok, err := s.client.SetNX(ctx, s.prefix+key, value, ttl).Result()
	if err != nil {
		return wrap(ctx, "put", err)
	}
	if !ok {
		return store.ErrExists
	}
	return nil
}

// Take implements store.Store: GETDEL key.
func (s *Store) Take(ctx context.Context, key string) ([]byte, error) {
	b, err := s.client.GetDel(ctx, s.prefix+key).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, wrap(ctx, "take", err)
	}
	return b, nil
}

// Ping reports whether the store can serve: the server answers, and it
// has GETDEL (Redis 6.2 or later). It is meant for a readiness probe.
// It takes a key under the prefix that nothing else uses, and so needs a
// writable server (a read-only replica is not ready, rightly).
func (s *Store) Ping(ctx context.Context) error {
	err := s.client.GetDel(ctx, s.prefix+"\x00ping").Err()
	if err == nil || errors.Is(err, goredis.Nil) {
		return nil
	}
	return wrap(ctx, "ping", err)
}

// Close closes the connection if Open made it; a Store from New leaves
// its client to the caller.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	return s.client.Close()
}

// wrap turns a go-redis error into ours. The context's own error comes
// first, so errors.Is(err, context.DeadlineExceeded) holds when the
// deadline is what ended the call.
func wrap(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("store/redis: %s: %w: %w", op, cerr, err)
	}
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "OOM "):
		return fmt.Errorf("store/redis: %s: %w: %w", op, store.ErrFull, err)
	case strings.Contains(msg, "unknown command") && strings.Contains(strings.ToLower(msg), "getdel"):
		return fmt.Errorf("store/redis: %s: %w: the server lacks GETDEL: Redis 6.2 or later is required: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("store/redis: %s: %w: %w", op, store.ErrUnavailable, err)
}

// NewClient returns a client for the Redis named by rawURL, in the forms
// go-redis parses, chosen by the URL:
//
//	redis://[user:password@]host:port[/db][?options]      a single node
//	rediss://...                                           the same over TLS
//	redis://[user:password@]sentinel:26379?master_name=mymaster&addr=sentinel2:26379[&password=…]
//	                                                       Sentinel: the user
//	                                                       information is the
//	                                                       Sentinel's; the master's
//	                                                       password is a query option
//	redis://[user:password@]node1:6379?addr=node2:6379&addr=node3:6379
//	redis://[user:password@]node:6379?cluster=true        Cluster (several addr, or cluster=true)
//	unix:///path/to/redis.sock                            a single node over a Unix socket
//
// Other query options are go-redis option names in snake case, such as
// dial_timeout, read_timeout, pool_size or max_retries. Unless the URL says
// otherwise (context_timeout_enabled=false), the client honours the
// deadlines of the contexts it is given.
//
// NewClient does not dial. Its errors never include the URL, which may
// hold a password.
func NewClient(rawURL string) (goredis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the whole URL, password included
		}
		return nil, fmt.Errorf("store/redis: invalid Redis URL: %v", err)
	}
	// Two options are ours, not go-redis's: cluster, and
	// context_timeout_enabled (which go-redis's single-node parser lacks).
	q := u.Query()
	flag := func(name string, def bool) (bool, error) {
		if !q.Has(name) {
			return def, nil
		}
		v, err := strconv.ParseBool(q.Get(name))
		if err != nil {
			return false, fmt.Errorf("store/redis: invalid Redis URL: %s=%q: want true or false", name, q.Get(name))
		}
		q.Del(name)
		return v, nil
	}
	contextTimeout, err := flag("context_timeout_enabled", true)
	if err != nil {
		return nil, err
	}
	cluster, err := flag("cluster", false)
	if err != nil {
		return nil, err
	}
	u.RawQuery = q.Encode()
	bad := func(err error) error {
		return fmt.Errorf("store/redis: invalid Redis URL: %s", redact(err.Error(), u))
	}
	switch {
	case q.Has("master_name"):
		o, err := goredis.ParseFailoverURL(u.String())
		if err != nil {
			return nil, bad(err)
		}
		o.ContextTimeoutEnabled = contextTimeout
		return goredis.NewFailoverClient(o), nil
	case cluster || len(q["addr"]) > 0:
		o, err := goredis.ParseClusterURL(u.String())
		if err != nil {
			return nil, bad(err)
		}
		o.ContextTimeoutEnabled = contextTimeout
		return goredis.NewClusterClient(o), nil
	default:
		o, err := goredis.ParseURL(u.String())
		if err != nil {
			return nil, bad(err)
		}
		o.ContextTimeoutEnabled = contextTimeout
		return goredis.NewClient(o), nil
	}
}

// redact removes the URL's passwords from msg, in case a parser quoted
// them.
func redact(msg string, u *url.URL) string {
	var secrets []string
	if p, ok := u.User.Password(); ok && p != "" {
		secrets = append(secrets, p)
	}
	for _, name := range []string{"password", "sentinel_password"} {
		if p := u.Query().Get(name); p != "" {
			secrets = append(secrets, p)
		}
	}
	for _, p := range secrets {
		msg = strings.ReplaceAll(msg, p, "[REDACTED]")
	}
	return msg
}
