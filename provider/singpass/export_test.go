package singpass

import "context"

// Decode exposes the nested JWE/JWS decoding to the external tests.
func (c *Client) Decode(ctx context.Context, what, compact string) ([]byte, error) {
	return c.decode(ctx, what, compact)
}
