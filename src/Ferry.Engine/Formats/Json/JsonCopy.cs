using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Engine.Copy;
using Ferry.Engine.Formats.DelimitedText;

namespace Ferry.Engine.Formats.Json;

/// <summary>
/// Reads a Json file's records (one object, an array of objects, or JSON Lines) as rows: columns from the first 100
/// records, numbers as Decimal (every digit kept), nested objects and arrays as their JSON text.
/// </summary>
public sealed class JsonSource(SourceFile source, string? compression) : RowSource
{
    private const int SampleRecords = 100;
    private Stream? _stream;
    private IAsyncEnumerator<JsonNode?>? _records;
    private readonly Queue<JsonNode?> _sample = new();
    private List<CopyColumn> _columns = [];

    private long _bytesRead;

    public override long BytesRead => _bytesRead;
    public override int FilesRead => 1;

    public override async Task<IReadOnlyList<CopyColumn>> OpenAsync(CancellationToken ct)
    {
        _stream = FileCompression.Decompress(await source.OpenAsync(ct), compression);
        _records = JsonRecords.ReadAsync(_stream, source.Name, ct).GetAsyncEnumerator(ct);
        while (_sample.Count < SampleRecords && await _records.MoveNextAsync())
            _sample.Enqueue(_records.Current);
        _columns = JsonRecords.ColumnsOf(_sample.ToList()).Select(c => new CopyColumn(c.Name, c.Type switch
        {
            // Every number as a decimal: a column whose first records hold integers may hold fractions further on.
            "Int64" or "Double" => typeof(decimal),
            "Boolean" => typeof(bool),
            _ => typeof(string),
        })).ToList();
        return _columns;
    }

    protected override async ValueTask<bool> ReadRowAsync(object?[] row, CancellationToken ct)
    {
        JsonNode? record;
        if (_sample.Count > 0)
            record = _sample.Dequeue();
        else if (await _records!.MoveNextAsync())
            record = _records.Current;
        else
            return false;
        for (var i = 0; i < row.Length; i++)
        {
            var node = JsonRecords.ValueOf(record, _columns[i].Name) as JsonNode;
            row[i] = node switch
            {
                null => null,
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<decimal>(),
                JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
                _ => node.ToJsonString(),
            };
            _bytesRead += CopyBytes.Of(row[i]);
        }
        return true;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_records is not null)
            await _records.DisposeAsync();
        _stream?.Dispose();
    }
}

/// <summary>Writes rows as JSON objects, one per line (setOfObjects) or in one array (arrayOfObjects), whole or not at all.</summary>
public sealed class JsonSink(string file, string? filePattern, string? compression, TypeConversionSettings? settings = null) : RowSink
{
    private StagedFile? _file;
    private Utf8JsonWriter? _writer;
    private IReadOnlyList<CopyColumn> _columns = [];
    private long _rows;
    private readonly bool _array = string.Equals(filePattern, "arrayOfObjects", StringComparison.OrdinalIgnoreCase);
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public override long BytesWritten => _file?.BytesWritten ?? 0;
    public override int FilesWritten => _file?.Committed == true ? 1 : 0;

    public override Task<IReadOnlyList<Type>> OpenAsync(IReadOnlyList<CopyColumn> columns, CancellationToken ct)
    {
        _columns = columns;
        _file = new StagedFile(file, compression);
        _writer = new Utf8JsonWriter(_file.Stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        if (_array)
            _writer.WriteStartArray();
        return Task.FromResult<IReadOnlyList<Type>>(columns.Select(c => c.Type).ToList());
    }

    protected override async ValueTask WriteRowAsync(object?[] row, long rowNumber, CancellationToken ct)
    {
        _writer!.WriteStartObject();
        for (var i = 0; i < row.Length; i++)
        {
            _writer.WritePropertyName(_columns[i].Name);
            switch (row[i])
            {
                case null: _writer.WriteNullValue(); break;
                case string s: _writer.WriteStringValue(s); break;
                case bool b: _writer.WriteBooleanValue(b); break;
                case long l: _writer.WriteNumberValue(l); break;
                case int n: _writer.WriteNumberValue(n); break;
                case short n: _writer.WriteNumberValue(n); break;
                case decimal m: _writer.WriteNumberValue(m); break;
                case double d when double.IsFinite(d): _writer.WriteNumberValue(d); break;
                case float f when float.IsFinite(f): _writer.WriteNumberValue(f); break;
                case var other: _writer.WriteStringValue(TextValues.Format(other, settings ?? TypeConversionSettings.Default)); break;
            }
        }
        _writer.WriteEndObject();
        _rows++;
        if (!_array)
        {
            await _writer.FlushAsync(ct);
            _writer.Reset();
            await _file!.Stream.WriteAsync(NewLine, ct);
        }
        else if (_writer.BytesPending > 1 << 16)
        {
            await _writer.FlushAsync(ct);
        }
    }

    public override async Task CommitAsync(long? expectedRows, CancellationToken ct)
    {
        if (_array)
            _writer!.WriteEndArray();
        await _writer!.FlushAsync(ct);
        await _writer.DisposeAsync();
        _writer = null;
        if (expectedRows is { } expected && expected != _rows)
            throw new Interactive.DataStoreException(Contracts.Problems.ErrorCodes.InvalidData,
                $"Data consistency check failed for '{file}': {_rows} records written, {expected} expected. Nothing was committed.");
        _file!.Commit(verify: expectedRows is not null);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_writer is not null)
            await _writer.DisposeAsync();
        _file?.Dispose();
    }
}
