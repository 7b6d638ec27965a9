using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Ferry.Contracts.Resources;
using Ferry.Server.Store;

namespace Ferry.Server.Alerts;

/// <summary>
/// Evaluates the alert rules every second and delivers what they owe. A status change away from Online (a node, or
/// the runtime) after one that was Online fires every <c>leftOnline</c> rule watching that runtime; a node not stopped
/// on purpose whose last heartbeat is older than a <c>silent</c> rule's threshold fires it once for that silence.
/// Each firing is a row in alert_deliveries keyed on the rule and the occurrence, so several server instances record
/// and send it once; the webhook gets a JSON POST, retried with backoff (2, 4, 8 … s, at most 8 attempts).
/// </summary>
public sealed partial class AlertMonitor(IFerryStore store, WebhookSeal seal, TimeProvider time, ILogger<AlertMonitor> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    public const int MaxAttempts = 8;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private long _cursor = -1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Changes recorded before this instance started were this instance's predecessor's to alert on.
                if (_cursor < 0)
                    _cursor = await store.GetLastStatusEventIdAsync(stoppingToken);
                await EvaluateAsync(stoppingToken);
                await DeliverAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e.Message); // the database away for a moment: the next pass tries again
            }
            await Task.Delay(Period, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private sealed record Rule(string Factory, string Name, string Condition, string? Runtime, int? SilentForSeconds);

    private async Task<List<Rule>> RulesAsync(string factory, CancellationToken ct) =>
        (await store.ListResourcesAsync(factory, AlertRuleService.Kind, ct)).Select(r =>
        {
            var p = JsonNode.Parse(r.PropertiesJson)!;
            return new Rule(factory, r.Name, p["condition"]!.GetValue<string>(), p["runtime"]?.GetValue<string>(), p["silentForSeconds"]?.GetValue<int>());
        }).ToList();

    public async Task EvaluateAsync(CancellationToken ct)
    {
        var rules = new Dictionary<string, List<Rule>>(StringComparer.Ordinal);
        async Task<List<Rule>> For(string factory) => rules.TryGetValue(factory, out var r) ? r : rules[factory] = await RulesAsync(factory, ct);

        foreach (var e in await store.ListStatusEventsAfterAsync(_cursor, 500, ct))
        {
            _cursor = e.Id;
            if (e.Status == NodeStatus.Online || await store.GetStatusBeforeAsync(e.RuntimeId, e.NodeName, e.Id, ct) != NodeStatus.Online)
                continue;
            foreach (var rule in (await For(e.Factory)).Where(r => r.Condition == AlertRuleService.LeftOnline && (r.Runtime is null || r.Runtime == e.Runtime)))
                await OweAsync(rule, $"event/{e.Id}", e.Runtime, e.NodeName, e.Status, e.Cause, e.At, ct);
        }

        var now = time.GetUtcNow();
        foreach (var factory in await store.ListFactoriesAsync(ct))
        {
            foreach (var rule in (await For(factory)).Where(r => r.Condition == AlertRuleService.Silent))
            {
                var runtimes = (await store.ListRuntimesAsync(factory, ct)).Where(r => rule.Runtime is null || r.Name == rule.Runtime);
                foreach (var runtime in runtimes)
                {
                    foreach (var node in await store.ListNodesAsync(runtime.Id, ct))
                    {
                        if (node.Stopped || node.LastHeartbeatAt is not { } last || now - last <= TimeSpan.FromSeconds(rule.SilentForSeconds!.Value))
                            continue;
                        var silent = (now - last).TotalSeconds;
                        await OweAsync(rule, $"silent/{node.Id:N}/{last.ToUnixTimeMilliseconds()}", runtime.Name, node.Name, node.RecordedStatus,
                            $"silent for {silent:F0} s (more than {rule.SilentForSeconds} s): last heartbeat at {last:O}", now, ct);
                    }
                }
            }
        }
    }

    private async Task OweAsync(Rule rule, string occurrence, string runtime, string? node, string status, string cause, DateTimeOffset at, CancellationToken ct)
    {
        var id = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{rule.Factory}/{rule.Name}/{occurrence}")))[..32];
        var payload = new JsonObject
        {
            ["rule"] = rule.Name, ["condition"] = rule.Condition, ["factory"] = rule.Factory, ["runtime"] = runtime, ["node"] = node,
            ["status"] = status, ["cause"] = cause, ["time"] = at.ToString("O"), ["id"] = id,
        };
        var now = time.GetUtcNow();
        if (await store.InsertAlertDeliveryAsync(new AlertDeliveryRow(id, rule.Factory, rule.Name, payload.ToJsonString(), "Pending", 0, now, null, now), ct))
            LogFired(logger, rule.Name, runtime, node ?? "(runtime)", status, cause);
    }

    public async Task DeliverAsync(CancellationToken ct)
    {
        foreach (var delivery in await store.ListDueAlertDeliveriesAsync(time.GetUtcNow(), ct))
        {
            var now = time.GetUtcNow();
            if (!await store.ClaimAlertDeliveryAsync(delivery.Id, delivery.NextAt, now + TimeSpan.FromMinutes(1), ct))
                continue; // another instance is sending it
            var rule = await store.GetResourceAsync(delivery.Factory, AlertRuleService.Kind, delivery.Rule, ct);
            if (rule is null)
            {
                await store.UpdateAlertDeliveryAsync(delivery.Id, "Failed", delivery.Attempts, now, "the rule was deleted", ct);
                continue;
            }
            var attempts = delivery.Attempts + 1;
            string? error;
            try
            {
                var url = seal.Open(JsonNode.Parse(rule.PropertiesJson)!["webhook"]!["sealedUrl"]!.GetValue<string>());
                using var content = new StringContent(delivery.PayloadJson, Encoding.UTF8, "application/json");
                using var response = await _http.PostAsync(url, content, ct);
                error = response.IsSuccessStatusCode ? null : $"the webhook answered {(int)response.StatusCode} {response.ReasonPhrase}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                error = $"the webhook could not be reached: {e.Message}";
            }
            if (error is null)
            {
                await store.UpdateAlertDeliveryAsync(delivery.Id, "Delivered", attempts, now, null, ct);
                continue;
            }
            var failed = attempts >= MaxAttempts;
            await store.UpdateAlertDeliveryAsync(delivery.Id, failed ? "Failed" : "Pending", attempts,
                now + TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, attempts))), error, ct);
            LogDeliveryFailed(logger, delivery.Rule, attempts, error, failed ? "giving up" : "will retry");
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Alert {Rule} fired: runtime {Runtime}, {Node} is {Status}: {Cause}")]
    private static partial void LogFired(ILogger logger, string rule, string runtime, string node, string status, string cause);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Alert {Rule}: delivery attempt {Attempt} failed: {Error}; {Next}")]
    private static partial void LogDeliveryFailed(ILogger logger, string rule, int attempt, string error, string next);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Alert evaluation failed: {Error}; trying again in a second")]
    private static partial void LogFailed(ILogger logger, string error);
}
