using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Copy;

/// <summary>
/// ADF's TabularTranslator: which source column feeds which sink column, by name or by 1-based ordinal. Without
/// mappings every source column goes to the sink column of the same name.
/// </summary>
public sealed class ColumnMapping
{
    private readonly int[] _sources;

    private ColumnMapping(IReadOnlyList<CopyColumn> columns, int[] sources)
    {
        Columns = columns;
        _sources = sources;
    }

    /// <summary>The sink's columns, in order, typed as their source columns.</summary>
    public IReadOnlyList<CopyColumn> Columns { get; }

    /// <summary>Makes <paramref name="view"/> the sink's columns of <paramref name="source"/>: the same buffers, nothing copied.</summary>
    public void Project(RowBatch source, RowBatch view)
    {
        for (var i = 0; i < _sources.Length; i++)
            view.Columns[i] = source.Columns[_sources[i]];
        view.NumberLike(source);
    }

    public static ColumnMapping From(JsonObject? translator, IReadOnlyList<CopyColumn> source)
    {
        if (translator?["mappings"] is not JsonArray mappings || mappings.Count == 0)
            return new ColumnMapping(source, Enumerable.Range(0, source.Count).ToArray());
        var columns = new List<CopyColumn>();
        var indexes = new List<int>();
        for (var i = 0; i < mappings.Count; i++)
        {
            var path = $"translator.mappings[{i}]";
            var index = SourceIndex(mappings[i]?["source"] as JsonObject, source, path);
            var sinkName = mappings[i]?["sink"]?["name"]?.GetValue<string>()
                           ?? (mappings[i]?["sink"]?["ordinal"]?.GetValue<int>() is { } ordinal ? $"Prop_{ordinal - 1}" : null)
                           ?? throw new DataStoreException(ErrorCodes.InvalidProperty, $"{path}.sink needs a name or an ordinal.");
            columns.Add(source[index] with { Name = sinkName });
            indexes.Add(index);
        }
        return new ColumnMapping(columns, indexes.ToArray());
    }

    private static int SourceIndex(JsonObject? mapping, IReadOnlyList<CopyColumn> source, string path)
    {
        if (mapping?["name"]?.GetValue<string>() is { } name)
        {
            for (var i = 0; i < source.Count; i++)
            {
                if (source[i].Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                    return i;
            }
            throw new DataStoreException(ErrorCodes.InvalidProperty,
                $"{path}.source names column '{name}', which the source does not have ({string.Join(", ", source.Select(c => c.Name))}).");
        }
        if (mapping?["ordinal"]?.GetValue<int>() is { } ordinal)
            return ordinal >= 1 && ordinal <= source.Count
                ? ordinal - 1
                : throw new DataStoreException(ErrorCodes.InvalidProperty, $"{path}.source.ordinal {ordinal} is outside 1..{source.Count}.");
        throw new DataStoreException(ErrorCodes.InvalidProperty, $"{path}.source needs a name or an ordinal.");
    }
}
