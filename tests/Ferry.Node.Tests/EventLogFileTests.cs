using System.Text.Json.Nodes;
using Ferry.Events;
using Microsoft.Extensions.Logging;

namespace Ferry.Node.Tests;

public sealed partial class EventLogFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ferry-events-").FullName;

    [LoggerMessage(EventId = 3001, EventName = "Connected", Level = LogLevel.Information, Message = "Connected to {ServerUrl} as node {NodeName}")]
    private static partial void Connected(ILogger logger, string serverUrl, string nodeName);

    [Fact]
    public void An_event_is_one_json_line_with_its_id_name_message_and_values_and_untagged_or_debug_logs_are_left_out()
    {
        using (var file = new EventLogFile(_folder))
        {
            var logger = file.CreateLogger("Ferry.Node.Heartbeats.HeartbeatService");
            Connected(logger, "https://ferry.example", "node-a");
            logger.LogInformation("no event id: not an event");
            logger.Log(LogLevel.Debug, new EventId(9), "too chatty");
            file.CreateLogger("Microsoft.Hosting.Lifetime").Log(LogLevel.Information, new EventId(1), "not Ferry's");
        }

        var line = Assert.Single(File.ReadAllLines(Path.Combine(_folder, EventLogFile.FileName)));
        var entry = JsonNode.Parse(line)!;
        Assert.Equal(("Information", 3001, "Connected", "Connected to https://ferry.example as node node-a"),
            (entry["level"]!.GetValue<string>(), entry["id"]!.GetValue<int>(), entry["event"]!.GetValue<string>(), entry["message"]!.GetValue<string>()));
        Assert.Equal(("https://ferry.example", "node-a"), (entry["serverUrl"]!.GetValue<string>(), entry["nodeName"]!.GetValue<string>()));
        Assert.True(DateTimeOffset.UtcNow - entry["time"]!.GetValue<DateTimeOffset>() < TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void The_log_rotates_at_its_size_and_keeps_five_files_at_most_with_nothing_lost_in_the_newest()
    {
        using (var file = new EventLogFile(_folder, maxBytes: 2_000))
        {
            var logger = file.CreateLogger("Ferry.Test");
            for (var i = 0; i < 200; i++)
            {
                Connected(logger, $"https://server-{i}", "node-a");
            }
        }

        var files = EventLogFile.Files(_folder).ToList();
        Assert.Equal(5, files.Count);
        Assert.Equal(Path.Combine(_folder, EventLogFile.FileName), files[^1]);
        Assert.All(files, f => Assert.True(new FileInfo(f).Length <= 2_000 + 512, $"{f}: {new FileInfo(f).Length} bytes")); // its size and one line at most
        var last = JsonNode.Parse(File.ReadLines(files[^1]).Last())!;
        Assert.Equal("https://server-199", last["serverUrl"]!.GetValue<string>());
        var lines = files.SelectMany(File.ReadLines).Select(l => JsonNode.Parse(l)!["serverUrl"]!.GetValue<string>()).ToList();
        Assert.Equal(lines.OrderBy(l => int.Parse(l["https://server-".Length..], System.Globalization.CultureInfo.InvariantCulture)), lines); // oldest first, in order
    }

    [Fact]
    public void Starts_with_no_stop_before_them_are_the_unplanned_restarts_and_a_line_cut_short_is_passed_over()
    {
        var t0 = new DateTimeOffset(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);
        string Line(int minutes, int id) => $"{{\"time\":\"{t0.AddMinutes(minutes):O}\",\"level\":\"Information\",\"id\":{id},\"message\":\"m\"}}";
        File.WriteAllLines(Path.Combine(_folder, "events.1.jsonl"), [Line(0, 1001), Line(1, 3001), Line(2, 1002), Line(3, 1001)]); // stopped, started
        File.WriteAllLines(Path.Combine(_folder, EventLogFile.FileName), [Line(4, 3001), Line(5, 1001), "{\"time\":\"2026-12-03T08:0", Line(6, 1001)]); // killed twice

        var entries = EventLogFile.ReadEntries(_folder).Select(e => (e.Time, e.Id)).ToList();
        var unplanned = Ferry.Node.Diagnostics.NodeDiagnosis.UnplannedRestarts(entries).ToList();

        Assert.Equal(7, entries.Count); // oldest file first, the broken line left out
        Assert.Equal([t0.AddMinutes(5), t0.AddMinutes(6)], unplanned);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
