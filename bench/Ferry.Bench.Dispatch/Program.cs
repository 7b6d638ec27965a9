// Dispatch latency: from createRun of a trivial one-activity pipeline to the activity's start on an idle node, over
// N runs one after the other, with a real ferry-server (SQLite) and a real ferry-node on loopback. Both instants are
// the server's own (the run's runStart, the activity's activityRunStart), so the client's polling adds nothing.
// Usage: Ferry.Bench.Dispatch --bin DIR [--runs N]   (DIR holds ferry-server.dll, ferry-node.dll, dmgcmd.dll)
using System.Globalization;
using Ferry.Bench;

string? bin = null;
var runs = 1000;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--bin": bin = args[++i]; break;
        case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
if (bin is null) { Console.Error.WriteLine("Usage: Ferry.Bench.Dispatch --bin DIR [--runs N]"); return 2; }

await using var fleet = await FerryFleet.StartServerAsync(bin, "ferry-bench-dispatch-");
var files = Directory.CreateDirectory(Path.Combine(fleet.Work, "files")).FullName;
await File.WriteAllTextAsync(Path.Combine(files, "one.csv"), "id\n1\n");
await fleet.StartNodeAsync("bench-ir", ["-alf", files]);
await fleet.SendAsync(HttpMethod.Put, "/factories/default/linkedservices/share",
    $$"""{"properties": {"type": "FileServer", "connectVia": {"referenceName": "bench-ir", "type": "IntegrationRuntimeReference"}, "typeProperties": {"host": "{{files}}"} } }""");
foreach (var (name, file) in new[] { ("in", "one.csv"), ("out", "copy.csv") })
    await fleet.SendAsync(HttpMethod.Put, $"/factories/default/datasets/{name}", $$"""
        {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
          "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "{{file}}"}, "firstRowAsHeader": true} } }
        """);
await fleet.SendAsync(HttpMethod.Put, "/factories/default/pipelines/trivial", """
    {"properties": {"activities": [{"name": "Copy", "type": "Copy", "inputs": [{"referenceName": "in", "type": "DatasetReference"}],
      "outputs": [{"referenceName": "out", "type": "DatasetReference"}], "typeProperties": {"source": {"type": "S"}, "sink": {"type": "K"}}}]}}
    """);

var latencies = new List<double>();
var failed = 0;
for (var i = 0; i < runs + 20; i++)
{
    var run = await fleet.RunAsync("trivial", TimeSpan.FromMilliseconds(5));
    if (run["status"]!.GetValue<string>() != "Succeeded") { failed++; continue; }
    var activity = (await fleet.SendAsync(HttpMethod.Post, $"/factories/default/pipelineruns/{run["runId"]!.GetValue<string>()}/queryActivityruns", "{}"))!["value"]![0]!;
    var latency = (DateTimeOffset.Parse(activity["activityRunStart"]!.GetValue<string>(), CultureInfo.InvariantCulture)
                   - DateTimeOffset.Parse(run["runStart"]!.GetValue<string>(), CultureInfo.InvariantCulture)).TotalMilliseconds;
    if (i >= 20) latencies.Add(latency); // the first runs warm the JIT up
}
latencies.Sort();
double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
Console.WriteLine("| runs | failed | p50 | p90 | p99 | max |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {latencies.Count} | {failed} | {P(0.5):F1} ms | {P(0.9):F1} ms | {P(0.99):F1} ms | {latencies[^1]:F1} ms |"));
return 0;
