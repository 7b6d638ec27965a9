using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Cli.Connection;

namespace Ferry.Cli.Commands;

/// <summary>`ferry pipeline run` and `ferry run show|cancel|activities|list`: ADF's pipeline run operations.</summary>
public static class RunCommands
{
    public static void AddRunTo(Command pipeline, GlobalOptions g)
    {
        var name = new Option<string>("--name", "-n") { Description = "The pipeline's name", Required = true };
        var parameters = new Option<string?>("--parameters") { Description = "The run's parameters as a JSON object: '{\"folder\": \"2026/11\"}'" };
        var wait = new Option<bool>("--wait") { Description = "Wait for the run to end, showing progress; exit non-zero unless it succeeded" };
        var run = new Command("run", "Start a run of the pipeline (ADF's createRun) and print its run id") { name, parameters, wait };
        run.SetAction((p, ct) => g.RunWithExitCodeAsync(p, async (api, output, c) =>
        {
            JsonNode? body = null;
            if (p.GetValue(parameters) is { } text)
            {
                try
                {
                    body = JsonNode.Parse(text) as JsonObject ?? throw new CliException("--parameters must be a JSON object: '{\"name\": value}'.");
                }
                catch (JsonException e)
                {
                    throw new CliException($"--parameters is not valid JSON: {e.Message}");
                }
            }
            var created = await api.SendAsync(HttpMethod.Post, $"{Factory(api)}/pipelines/{Uri.EscapeDataString(p.GetValue(name)!)}/createRun", body, c);
            output.Write(created);
            return p.GetValue(wait) ? await WaitAsync(api, created!["runId"]!.GetValue<string>(), c) : 0;
        }, ct));
        pipeline.Subcommands.Add(run);
    }

    public static Command Build(GlobalOptions g)
    {
        var command = new Command("run", "Pipeline runs: show, cancel, their activity runs, the recent ones");
        var runId = new Option<string>("--run-id") { Description = "The run's id (printed by `ferry pipeline run`)", Required = true };

        var show = new Command("show", "Show a run: status, start, end, duration, message") { runId };
        show.SetAction((p, ct) => g.RunAsync(p, (api, c) => api.SendAsync(HttpMethod.Get, $"{Factory(api)}/pipelineruns/{Id(p.GetValue(runId)!)}", null, c), ct));
        command.Subcommands.Add(show);

        var cancel = new Command("cancel", "Cancel a run: queued work never starts, running copies stop and leave nothing half-written") { runId };
        cancel.SetAction((p, ct) => g.RunAsync(p, async (api, c) =>
        {
            await api.SendAsync(HttpMethod.Post, $"{Factory(api)}/pipelineruns/{Id(p.GetValue(runId)!)}/cancel", null, c);
            return null;
        }, ct));
        command.Subcommands.Add(cancel);

        var activities = new Command("activities", "Show a run's activity runs: status, runtime, node, output, error") { runId };
        activities.SetAction((p, ct) => g.RunAsync(p, (api, c) =>
            api.SendAsync(HttpMethod.Post, $"{Factory(api)}/pipelineruns/{Id(p.GetValue(runId)!)}/queryActivityruns", new JsonObject(), c), ct));
        command.Subcommands.Add(activities);

        var list = new Command("list", "List the factory's recent runs, newest first");
        list.SetAction((p, ct) => g.RunAsync(p, (api, c) => api.SendAsync(HttpMethod.Post, $"{Factory(api)}/queryPipelineRuns", new JsonObject(), c), ct));
        command.Subcommands.Add(list);
        return command;
    }

    /// <summary>Polls the run until it ends; on a terminal, a progress line (rows, bytes, rate) on stderr. Exit 0 only when it succeeded.</summary>
    private static async Task<int> WaitAsync(ApiClient api, string runId, CancellationToken ct)
    {
        var live = !Console.IsErrorRedirected;
        var started = DateTimeOffset.UtcNow;
        while (true)
        {
            var run = await api.SendAsync(HttpMethod.Get, $"{Factory(api)}/pipelineruns/{runId}", null, ct);
            var status = run?["status"]?.GetValue<string>() ?? "?";
            var activities = (await api.SendAsync(HttpMethod.Post, $"{Factory(api)}/pipelineruns/{runId}/queryActivityruns", new JsonObject(), ct))?["value"] as JsonArray ?? [];
            long rows = 0, bytes = 0;
            foreach (var activity in activities)
            {
                rows += activity?["output"]?["rowsCopied"]?.GetValue<long>() ?? 0;
                bytes += activity?["output"]?["dataRead"]?.GetValue<long>() ?? 0;
            }
            var seconds = Math.Max((DateTimeOffset.UtcNow - started).TotalSeconds, 0.001);
            var summary = string.Create(CultureInfo.InvariantCulture, $"{rows:N0} rows, {bytes / 1048576.0:F1} MB, {bytes / 1048576.0 / seconds:F1} MB/s");
            if (status is "Succeeded" or "Failed" or "Cancelled")
            {
                if (live)
                    Console.Error.Write("\r\u001b[K");
                Console.Error.WriteLine($"Run {runId} {status} after {seconds:F1} s: {summary}{(run?["message"]?.GetValue<string>() is { Length: > 0 } m ? $" — {m}" : "")}");
                return status == "Succeeded" ? 0 : 1;
            }
            if (live)
                Console.Error.Write($"\r\u001b[K{status}: {summary}");
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        }
    }

    private static string Factory(ApiClient api) => $"/factories/{Uri.EscapeDataString(api.Factory)}";

    private static string Id(string runId) => Uri.EscapeDataString(runId);
}
