using Ferry.Server.Store;

namespace Ferry.Server.Metrics;

/// <summary>GET /metrics (with the admin token, as every management call): the Prometheus text format.</summary>
public static class MetricsEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/metrics", async (IFerryStore store, ServerMetrics metrics, TimeProvider time, CancellationToken ct) =>
        Results.Text(await RenderAsync(store, metrics, time, ct), PrometheusText.ContentType));

    public static async Task<string> RenderAsync(IFerryStore store, ServerMetrics metrics, TimeProvider time, CancellationToken ct)
    {
        var text = new PrometheusText();
        text.Family("ferry_nodes", "gauge", "Registered nodes by runtime and status (as the status monitor recorded it).");
        foreach (var n in await store.CountNodesByStatusAsync(ct))
            text.Sample("ferry_nodes", n.Nodes, ("factory", n.Factory), ("runtime", n.Runtime), ("status", n.Status));

        var now = time.GetUtcNow();
        var queues = await store.ListQueueDepthsAsync(ct);
        (string, string)[] QueueLabels(QueueDepth q) => [("factory", q.Factory ?? ""), ("runtime", q.Runtime ?? q.Queue)];
        text.Family("ferry_queue_depth", "gauge", "Jobs waiting for a node, by runtime (runtime \"managed\" is the server's own queue).");
        foreach (var q in queues)
            text.Sample("ferry_queue_depth", q.Jobs, QueueLabels(q));
        text.Family("ferry_queue_oldest_seconds", "gauge", "Age of the oldest job waiting on each queue, in seconds.");
        foreach (var q in queues)
            text.Sample("ferry_queue_oldest_seconds", Math.Max(0, Math.Round((now - (q.OldestQueuedAt ?? now)).TotalSeconds, 3)), QueueLabels(q));

        text.Family("ferry_heartbeats_total", "counter", "Node heartbeats this server instance received.");
        text.Sample("ferry_heartbeats_total", metrics.Heartbeats);
        text.Family("ferry_activities_total", "counter", "Activity runs this server instance ended, by activity type and outcome.");
        foreach (var (key, count) in metrics.ActivitiesByOutcome.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            var parts = key.Split('\n');
            text.Sample("ferry_activities_total", count, ("type", parts[0]), ("outcome", parts[1]));
        }
        text.Family("ferry_copy_rows_total", "counter", "Rows copied by succeeded Copy activities.");
        text.Sample("ferry_copy_rows_total", metrics.RowsCopied);
        text.Family("ferry_copy_bytes_total", "counter", "Bytes read by succeeded Copy activities.");
        text.Sample("ferry_copy_bytes_total", metrics.BytesCopied);

        text.Family("ferry_http_request_duration_seconds", "histogram", "Time to answer HTTP requests, by caller kind (node, api, other), method and status code.");
        foreach (var ((kind, method, status), histogram) in metrics.Requests.OrderBy(r => r.Key))
        {
            (string, string)[] labels = [("kind", kind), ("method", method), ("code", status.ToString(System.Globalization.CultureInfo.InvariantCulture))];
            var cumulative = histogram.Cumulative();
            var count = histogram.Count;
            for (var i = 0; i < ServerMetrics.LatencyBuckets.Length; i++)
                text.Sample("ferry_http_request_duration_seconds_bucket", cumulative[i], [.. labels, ("le", PrometheusText.Format(ServerMetrics.LatencyBuckets[i]))]);
            text.Sample("ferry_http_request_duration_seconds_bucket", count, [.. labels, ("le", "+Inf")]);
            text.Sample("ferry_http_request_duration_seconds_sum", histogram.Sum, labels);
            text.Sample("ferry_http_request_duration_seconds_count", count, labels);
        }
        return text.ToString();
    }
}
