using System.Text;
using System.Text.Json.Nodes;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Access;
using Ferry.Engine.Formats.DelimitedText;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Copy;

/// <summary>
/// enableSkipIncompatibleRow with redirectIncompatibleRowSettings.path: each skipped row goes to a CSV log (row number,
/// reason, values) in that folder on the host (under the allowed folders), named after the activity run; the log appears
/// only when the copy commits.
/// </summary>
public sealed class IncompatibleRowLog : IAsyncDisposable
{
    private readonly DelimitedTextSink _sink;
    private bool _opened;
    private readonly RowBatch _line = new([typeof(long), typeof(string), typeof(string)], 1);

    private IncompatibleRowLog(string path)
    {
        Path = path;
        _sink = new DelimitedTextSink(path, new DelimitedTextFormat(',', null, '"', '"', true, "", new UTF8Encoding(false), null), null);
    }

    public string Path { get; }

    /// <summary>The log's path once a row was skipped; null while none was.</summary>
    public string? WrittenPath => _opened ? Path : null;

    /// <summary>The log, when the copy asks to skip incompatible rows; null otherwise (the first such row then fails the copy).</summary>
    public static IncompatibleRowLog? From(JsonObject typeProperties, JobPayload job, EngineContext context)
    {
        if (typeProperties["enableSkipIncompatibleRow"]?.GetValue<bool>() != true)
            return null;
        var folder = typeProperties["redirectIncompatibleRowSettings"]?["path"]?.GetValue<string>()
                     ?? throw new DataStoreException(Contracts.Problems.ErrorCodes.InvalidProperty,
                         "enableSkipIncompatibleRow needs redirectIncompatibleRowSettings.path: a folder on the node for the log of skipped rows.");
        var resolved = LocalFolders.Resolve(context.Policy, folder, "");
        Directory.CreateDirectory(resolved);
        return new IncompatibleRowLog(System.IO.Path.Combine(resolved, $"{job.ActivityRunId:D}.csv"));
    }

    public async ValueTask WriteAsync(long rowNumber, string reason, object?[] row, CancellationToken ct)
    {
        if (!_opened)
        {
            await _sink.OpenAsync([new CopyColumn("row", typeof(long)), new CopyColumn("reason", typeof(string)), new CopyColumn("values", typeof(string))], ct);
            _opened = true;
        }
        _line.Reset(rowNumber);
        _line.Columns[0].SetBoxed(0, rowNumber);
        _line.Columns[1].SetBoxed(0, reason);
        _line.Columns[2].SetBoxed(0, new JsonArray(row.Select(TabularResult.ToJson).ToArray()).ToJsonString());
        _line.Count = 1;
        await _sink.WriteAsync(_line, ct);
    }

    public async Task CommitAsync(CancellationToken ct)
    {
        if (_opened)
            await _sink.CommitAsync(null, ct);
    }

    public ValueTask DisposeAsync() => _sink.DisposeAsync();
}
