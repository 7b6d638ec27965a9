using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Ferry.Server.Metrics;

/// <summary>
/// The counters and histograms this server instance keeps for /metrics: heartbeats received, activities ended by
/// outcome, rows and bytes copied, and request latency by kind of caller. Gauges (nodes by status, queue depth and
/// age) are read from the store at each scrape, so every instance over one database reports the same ones.
/// </summary>
public sealed class ServerMetrics
{
    /// <summary>Upper bounds (seconds) of the request latency buckets.</summary>
    public static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private long _heartbeats;
    private long _rowsCopied;
    private long _bytesCopied;
    private readonly ConcurrentDictionary<string, long> _activities = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Kind, string Method, int Status), Histogram> _requests = new();

    public long Heartbeats => Interlocked.Read(ref _heartbeats);
    public long RowsCopied => Interlocked.Read(ref _rowsCopied);
    public long BytesCopied => Interlocked.Read(ref _bytesCopied);
    public IReadOnlyDictionary<string, long> ActivitiesByOutcome => _activities;
    public IReadOnlyDictionary<(string Kind, string Method, int Status), Histogram> Requests => _requests;

    public void Heartbeat() => Interlocked.Increment(ref _heartbeats);

    /// <summary>An activity ended; a copy's output adds its rows and bytes.</summary>
    public void ActivityEnded(string type, string status, JsonObject? output)
    {
        _activities.AddOrUpdate($"{type}\n{status}", 1, (_, n) => n + 1);
        if (status == Runs.RunStatus.Succeeded && output is not null)
        {
            Interlocked.Add(ref _rowsCopied, output["rowsCopied"]?.GetValue<long>() ?? 0);
            Interlocked.Add(ref _bytesCopied, output["dataRead"]?.GetValue<long>() ?? 0);
        }
    }

    public void RequestEnded(string kind, string method, int status, double seconds) =>
        _requests.GetOrAdd((kind, method, status), _ => new Histogram(LatencyBuckets.Length)).Observe(seconds);

    /// <summary>Times every request: node gateway calls, admin API calls, and the rest.</summary>
    public RequestDelegate Middleware(RequestDelegate next) => async context =>
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var path = context.Request.Path;
            var kind = path.StartsWithSegments("/node") ? "node" : path.StartsWithSegments("/factories") ? "api" : "other";
            RequestEnded(kind, context.Request.Method, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    };

    /// <summary>A Prometheus histogram: a count per bucket (not cumulative here), the count and the sum.</summary>
    public sealed class Histogram(int buckets)
    {
        private readonly long[] _buckets = new long[buckets];
        private long _count;
        private long _sumMicroseconds;

        public void Observe(double seconds)
        {
            var i = Array.FindIndex(LatencyBuckets, b => seconds <= b);
            if (i >= 0)
                Interlocked.Increment(ref _buckets[i]);
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _sumMicroseconds, (long)(seconds * 1_000_000));
        }

        public long Count => Interlocked.Read(ref _count);
        public double Sum => Interlocked.Read(ref _sumMicroseconds) / 1_000_000.0;

        /// <summary>How many observations were at most each bucket's bound (Prometheus's cumulative buckets).</summary>
        public long[] Cumulative()
        {
            var result = new long[_buckets.Length];
            long running = 0;
            for (var i = 0; i < _buckets.Length; i++)
                result[i] = running += Interlocked.Read(ref _buckets[i]);
            return result;
        }
    }
}
