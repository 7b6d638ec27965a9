using System.Globalization;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Connectors.FileServer;
using Ferry.Engine.Connectors.Postgres;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Copy;

/// <summary>
/// The steps of a copy split over a runtime's nodes that are not a copy themselves: the plan (the source's parts: ranges
/// of a DynamicRange table, or its files dealt out), the commit that moves every part's staging into place at once, and
/// the discard of a failed split's staging. Each part is an ordinary copy into staging (<see cref="CopyActivity"/>).
/// </summary>
public static class SplitCopy
{
    /// <summary>The file a part writes when the sink names <paramref name="fileName"/>: "sales.csv.gz", part 3 → "sales_part00003.csv.gz".</summary>
    public static string PartFileName(string fileName, int part)
    {
        var dot = fileName.IndexOf('.', 1);
        var suffix = $"_part{part.ToString("D5", CultureInfo.InvariantCulture)}";
        return dot < 0 ? fileName + suffix : fileName[..dot] + suffix + fileName[dot..];
    }

    /// <summary>Where a part's finished file waits, hidden beside its final name, until the commit renames it.</summary>
    public static string StagedPartPath(string finalPath, Guid activityRunId) =>
        Path.Combine(Path.GetDirectoryName(finalPath)!, $".{Path.GetFileName(finalPath)}.ferry-part-{activityRunId:N}");

    /// <summary>The plan's output: at most <paramref name="parts"/> parts, each a WHERE condition or a list of files (relative to the linked service's folder).</summary>
    public static async Task<JsonObject> PlanAsync(JobPayload job, EngineContext context, int parts, CancellationToken ct)
    {
        var (dataset, linked) = (job.SourceDataset!, job.SourceLinkedService!);
        var settings = job.Activity["typeProperties"]?["source"] as JsonObject ?? [];
        var linkedSettings = LinkedServiceSettings.From(linked, context, job.SecretStores);
        var planned = new JsonArray();
        if (IsTable(dataset))
        {
            foreach (var condition in await PostgresPartitions.PlanAsync(new PostgresConnector(linkedSettings, context), dataset, settings, parts, ct))
                planned.Add(new JsonObject { ["condition"] = condition });
        }
        else
        {
            var connector = new FileServerConnector(linkedSettings, context);
            var files = connector.SourceFiles(dataset["typeProperties"] as JsonObject ?? [], settings["storeSettings"] as JsonObject)
                .Select(connector.RelativeToRoot).ToList();
            var count = Math.Max(1, Math.Min(parts, files.Count));
            for (var p = 0; p < count; p++)
                planned.Add(new JsonObject { ["files"] = new JsonArray(files.Where((_, i) => i % count == p).Select(f => (JsonNode?)f).ToArray()) });
        }
        return new JsonObject { ["parts"] = planned };
    }

    /// <summary>The commit, or the discard, of every part: answers what was committed.</summary>
    public static async Task<JsonObject> FinishAsync(JobPayload job, CopySplit split, EngineContext context, Func<CancellationToken, Task> beforeCommit, CancellationToken ct)
    {
        var (dataset, linked) = (job.SinkDataset!, job.SinkLinkedService!);
        var settings = job.Activity["typeProperties"]?["sink"] as JsonObject ?? [];
        var linkedSettings = LinkedServiceSettings.From(linked, context, job.SecretStores);
        var discard = split.Step == CopySplit.Discard;
        if (IsTable(dataset))
        {
            var connector = new PostgresConnector(linkedSettings, context);
            if (discard)
            {
                await PostgresSplitCommit.DiscardAsync(connector, dataset, job.ActivityRunId, split.Parts, ct);
                return new JsonObject { ["discarded"] = split.Parts };
            }
            var rows = await PostgresSplitCommit.CommitAsync(connector, dataset, settings, job.ActivityRunId, split.Parts, split.PartRows, beforeCommit, ct);
            return new JsonObject { ["rowsCommitted"] = rows };
        }

        var files = new FileServerConnector(linkedSettings, context);
        var finals = Enumerable.Range(0, split.Parts).Select(p => PartTarget(files, dataset, p)).ToList();
        if (discard)
        {
            foreach (var final in finals)
                File.Delete(StagedPartPath(final, job.ActivityRunId));
            return new JsonObject { ["discarded"] = split.Parts };
        }
        // Every part's file must be there before any is renamed; a commit that stopped half-way is finished by the next attempt.
        for (var p = 0; p < finals.Count; p++)
        {
            if (!File.Exists(StagedPartPath(finals[p], job.ActivityRunId)) && !File.Exists(finals[p]))
                throw new DataStoreException(ErrorCodes.InvalidData,
                    $"The staged file of part {p + 1} of {finals.Count} ({StagedPartPath(finals[p], job.ActivityRunId)}) is gone; nothing was committed. Run the copy again.");
        }
        await beforeCommit(ct);
        foreach (var final in finals)
        {
            var staged = StagedPartPath(final, job.ActivityRunId);
            if (File.Exists(staged))
                File.Move(staged, final, overwrite: true);
        }
        return new JsonObject { ["filesCommitted"] = finals.Count };
    }

    /// <summary>The final path of one part's file under the sink dataset's folder.</summary>
    internal static string PartTarget(FileServerConnector files, JsonObject dataset, int part)
    {
        var properties = (dataset["typeProperties"] as JsonObject)?.DeepClone().AsObject() ?? [];
        var location = properties["location"] as JsonObject
                       ?? throw new DataStoreException(ErrorCodes.InvalidProperty, "The sink dataset has no location.fileName; name the file to write.");
        var fileName = location["fileName"]?.GetValue<string>()
                       ?? throw new DataStoreException(ErrorCodes.InvalidProperty, "The sink dataset has no location.fileName; name the file to write.");
        location["fileName"] = PartFileName(fileName, part);
        return files.TargetFile(properties);
    }

    private static bool IsTable(JsonObject dataset) => string.Equals(dataset["type"]?.GetValue<string>(), "PostgreSqlV2Table", StringComparison.OrdinalIgnoreCase);
}
