using System.Text.Json.Nodes;

namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>Reads a node's or a server's event log (events.jsonl in its data dir), as dmgcmd -Events does.</summary>
public static class EventLog
{
    public static List<JsonNode> Entries(string dataDir)
    {
        var path = Path.Combine(dataDir, "events.jsonl");
        if (!File.Exists(path))
            return [];
        // The writer appends whole lines; a line still being written is left for the next read.
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        var text = reader.ReadToEnd();
        return text[..(text.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
    }

    public static List<int> Ids(string dataDir) => Entries(dataDir).Select(e => e["id"]!.GetValue<int>()).ToList();

    /// <summary>The messages of the events with <paramref name="id"/>, oldest first.</summary>
    public static List<string> Messages(string dataDir, int id) =>
        Entries(dataDir).Where(e => e["id"]!.GetValue<int>() == id).Select(e => e["message"]!.GetValue<string>()).ToList();

    /// <summary>Waits until the log holds more than <paramref name="seen"/> events with <paramref name="id"/>, and returns the newest one's message.</summary>
    public static async Task<string> WaitForAsync(string dataDir, int id, int seen = 0, double seconds = 30)
    {
        await Commands.EventuallyAsync(() => Task.FromResult((Messages(dataDir, id).Count > seen, string.Join(",", Ids(dataDir)))),
            TimeSpan.FromSeconds(seconds), $"event {id} in {dataDir}");
        return Messages(dataDir, id)[^1];
    }
}
