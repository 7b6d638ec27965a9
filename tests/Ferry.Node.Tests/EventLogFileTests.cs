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

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
