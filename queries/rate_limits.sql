-- name: RateLimitHit :one
-- Counts one hit on @key in a fixed window of @window_seconds, starting a new window when the
-- current one is over, and returns the count and when the window ends.
INSERT INTO core.rate_limits AS r (key, window_start, hits)
VALUES (@key, now(), 1)
ON CONFLICT (key) DO UPDATE SET
    window_start = CASE WHEN r.window_start + make_interval(secs => @window_seconds::double precision) <= now()
                        THEN now() ELSE r.window_start END,
    hits = CASE WHEN r.window_start + make_interval(secs => @window_seconds::double precision) <= now()
                THEN 1 ELSE r.hits + 1 END
RETURNING hits, (window_start + make_interval(secs => @window_seconds::double precision))::timestamptz AS window_end;

-- name: RateLimitDeleteExpired :execrows
DELETE FROM core.rate_limits WHERE window_start < now() - make_interval(secs => @max_window_seconds::double precision);
