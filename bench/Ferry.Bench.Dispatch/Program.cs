// Dispatch latency: from createRun of a trivial one-activity pipeline to the activity's start on an idle node, over
// N runs one after the other, with a real ferry-server (SQLite) and a real ferry-node on loopback. Both instants are
// the server's own (the run's runStart, the activity's activityRunStart), so the client's polling adds nothing.
// Usage: Ferry.Bench.Dispatch --bin DIR [--runs N]   (DIR holds ferry-server.dll, ferry-node.dll, dmgcmd.dll)
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

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

var work = Directory.CreateTempSubdirectory("ferry-bench-dispatch-").FullName;
int FreePort() { using var l = new TcpListener(IPAddress.Loopback, 0); l.Start(); return ((IPEndPoint)l.LocalEndpoint).Port; }
var port = FreePort();
var url = $"http://127.0.0.1:{port}";
Process Start(string dll, params string[] arguments)
{
    var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
    info.ArgumentList.Add(Path.Combine(bin, dll));
    foreach (var a in arguments) info.ArgumentList.Add(a);
    var p = Process.Start(info)!;
    p.OutputDataReceived += (_, _) => { };
    p.ErrorDataReceived += (_, _) => { };
    p.BeginOutputReadLine();
    p.BeginErrorReadLine();
    return p;
}

using var server = Start(Path.Combine(bin, "ferry-server.dll"), "--data-dir", Path.Combine(work, "server"), "--urls", url);
using var http = new HttpClient { BaseAddress = new Uri(url) };
for (var i = 0; i < 100 && !File.Exists(Path.Combine(work, "server", "admin-token")); i++) await Task.Delay(200);
await Task.Delay(500);
http.DefaultRequestHeaders.Authorization = new("Bearer", File.ReadAllText(Path.Combine(work, "server", "admin-token")).Trim());
async Task<JsonNode?> Send(HttpMethod method, string path, string? body = null)
{
    using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json") };
    using var response = await http.SendAsync(request);
    var text = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
    return text.Length == 0 ? null : JsonNode.Parse(text);
}

var files = Directory.CreateDirectory(Path.Combine(work, "files")).FullName;
await File.WriteAllTextAsync(Path.Combine(files, "one.csv"), "id\n1\n");
await Send(HttpMethod.Put, "/factories/default/integrationRuntimes/bench-ir", """{"properties": {"type": "SelfHosted"}}""");
var key = (await Send(HttpMethod.Post, "/factories/default/integrationRuntimes/bench-ir/listAuthKeys"))!["authKey1"]!.GetValue<string>();
var nodeDir = Path.Combine(work, "node");
using (var register = Start("dmgcmd.dll", "-rn", key, "bench-node", "--data-dir", nodeDir)) await register.WaitForExitAsync();
using (var allow = Start("dmgcmd.dll", "-alf", files, "--data-dir", nodeDir)) await allow.WaitForExitAsync();
using var node = Start("ferry-node.dll", "--data-dir", nodeDir);
for (var i = 0; i < 100; i++)
{
    var state = (await Send(HttpMethod.Post, "/factories/default/integrationRuntimes/bench-ir/getStatus"))!["properties"]!["state"]!.GetValue<string>();
    if (state == "Online") break;
    await Task.Delay(200);
}
await Send(HttpMethod.Put, "/factories/default/linkedservices/share",
    $$"""{"properties": {"type": "FileServer", "connectVia": {"referenceName": "bench-ir", "type": "IntegrationRuntimeReference"}, "typeProperties": {"host": "{{files}}"} } }""");
foreach (var (name, file) in new[] { ("in", "one.csv"), ("out", "copy.csv") })
    await Send(HttpMethod.Put, $"/factories/default/datasets/{name}", $$"""
        {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
          "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "{{file}}"}, "firstRowAsHeader": true} } }
        """);
await Send(HttpMethod.Put, "/factories/default/pipelines/trivial", """
    {"properties": {"activities": [{"name": "Copy", "type": "Copy", "inputs": [{"referenceName": "in", "type": "DatasetReference"}],
      "outputs": [{"referenceName": "out", "type": "DatasetReference"}], "typeProperties": {"source": {"type": "S"}, "sink": {"type": "K"}}}]}}
    """);

var latencies = new List<double>();
var failed = 0;
for (var i = 0; i < runs + 20; i++)
{
    var runId = (await Send(HttpMethod.Post, "/factories/default/pipelines/trivial/createRun"))!["runId"]!.GetValue<string>();
    JsonNode run;
    do
    {
        await Task.Delay(5);
        run = (await Send(HttpMethod.Get, $"/factories/default/pipelineruns/{runId}"))!;
    } while (run["status"]!.GetValue<string>() is "Queued" or "InProgress");
    if (run["status"]!.GetValue<string>() != "Succeeded") { failed++; continue; }
    var activity = (await Send(HttpMethod.Post, $"/factories/default/pipelineruns/{runId}/queryActivityruns", "{}"))!["value"]![0]!;
    var latency = (DateTimeOffset.Parse(activity["activityRunStart"]!.GetValue<string>(), CultureInfo.InvariantCulture)
                   - DateTimeOffset.Parse(run["runStart"]!.GetValue<string>(), CultureInfo.InvariantCulture)).TotalMilliseconds;
    if (i >= 20) latencies.Add(latency); // the first runs warm the JIT up
}
latencies.Sort();
double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
Console.WriteLine("| runs | failed | p50 | p90 | p99 | max |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {latencies.Count} | {failed} | {P(0.5):F1} ms | {P(0.9):F1} ms | {P(0.99):F1} ms | {latencies[^1]:F1} ms |"));
node.Kill(true);
server.Kill(true);
return 0;
