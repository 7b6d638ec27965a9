using System.Text;
using System.Text.Json.Nodes;
using Ferry.Engine.Formats.DelimitedText;

namespace Ferry.Engine.Tests;

/// <summary>Ferry's delimited text reader against DuckDB's CSV reader (an implementation Ferry did not write) on awkward random files.</summary>
public sealed class DelimitedTextReaderTests : IDisposable
{
    private readonly TempFolder _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Random_quoted_fields_with_delimiters_quotes_and_line_breaks_read_as_duckdb_reads_them()
    {
        var random = new Random(7);
        const string alphabet = "ab,\"\n\r é🚀;x ";
        var expected = new List<string[]>();
        var text = new StringBuilder("c0,c1,c2\n");
        for (var r = 0; r < 400; r++)
        {
            var row = new string[3];
            for (var c = 0; c < 3; c++)
            {
                var value = new StringBuilder("v");
                for (var n = random.Next(0, 12); n > 0; n--)
                {
                    var pick = random.Next(alphabet.Length);
                    // Keep surrogate pairs whole.
                    value.Append(char.IsHighSurrogate(alphabet[pick]) ? alphabet.Substring(pick, 2) : char.IsLowSurrogate(alphabet[pick]) ? "x" : alphabet[pick].ToString());
                }
                row[c] = value.ToString();
                text.Append(c > 0 ? "," : "").Append('"').Append(row[c].Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            expected.Add(row);
            text.Append(r % 3 == 0 ? "\r\n" : "\n");
        }
        var file = Path.Combine(_files.Path, "awkward.csv");
        await File.WriteAllTextAsync(file, text.ToString(), new UTF8Encoding(false));

        var format = DelimitedTextFormat.From(new JsonObject { ["firstRowAsHeader"] = true, ["escapeChar"] = "\"" });
        using var reader = new StreamReader(file);
        var ferry = new DelimitedTextReader(reader, format);
        var fields = new List<string?>();
        Assert.True(ferry.TryReadRecord(fields));
        var ours = new List<string[]>();
        while (ferry.TryReadRecord(fields))
            ours.Add(fields.Select(f => f!).ToArray());
        var duck = await DuckDb.QueryAsync($"SELECT * FROM read_csv('{file}', header = true, quote = '\"', escape = '\"', all_varchar = true, new_line = '\\n', strict_mode = false)");

        Assert.Equal(expected, ours);
        Assert.Equal(expected.Count, duck.Count);
        for (var r = 0; r < expected.Count; r++)
        {
            // DuckDB keeps a quoted field's \r\n as it is; the random values hold lone \r and \n only.
            Assert.Equal(expected[r], new[] { "c0", "c1", "c2" }.Select(c => duck[r]![c]!.GetValue<string>()).ToArray());
        }
    }
}
