using System.IO.Compression;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Access;
using Ferry.Engine.Formats.DelimitedText;
using Ferry.Engine.Formats.Json;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Connectors.FileServer;

/// <summary>
/// ADF's FileServer linked service: <c>host</c> is a folder on the node, and every path is relative to it and passes
/// local folder path validation. Browses folders, and reads DelimitedText and Json datasets for schema and preview.
/// </summary>
public sealed class FileServerConnector(LinkedServiceSettings settings, EngineContext context) : IInteractiveConnector
{
    private const int SchemaSampleRows = 100;

    private string Root => settings.RequiredString("host");

    public Task<string> TestConnectionAsync(CancellationToken ct)
    {
        var folder = LocalFolders.Resolve(context.Policy, Root, "");
        RequireFolder(folder);
        try
        {
            var entries = Directory.EnumerateFileSystemEntries(folder).Take(1000).Count();
            return Task.FromResult($"Folder '{folder}' on {context.HostName} is readable ({(entries == 1000 ? "1000+" : entries.ToString(System.Globalization.CultureInfo.InvariantCulture))} entries).");
        }
        catch (UnauthorizedAccessException e)
        {
            throw Denied(folder, e);
        }
    }

    public Task<JsonObject> BrowseAsync(string? path, CancellationToken ct)
    {
        var folder = LocalFolders.Resolve(context.Policy, Root, path);
        RequireFolder(folder);
        try
        {
            var info = new DirectoryInfo(folder);
            var items = info.EnumerateDirectories().OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => (d.Name, "folder", (long?)null))
                .Concat(info.EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => (f.Name, "file", (long?)f.Length)))
                .ToList();
            return Task.FromResult(TabularResult.Browse(path ?? "", items));
        }
        catch (UnauthorizedAccessException e)
        {
            throw Denied(folder, e);
        }
    }

    public async Task<JsonObject> GetSchemaAsync(JsonObject dataset, CancellationToken ct)
    {
        var (columns, _, _) = await ReadAsync(dataset, SchemaSampleRows, ct);
        return TabularResult.Schema(columns);
    }

    public async Task<JsonObject> PreviewAsync(JsonObject dataset, int rows, CancellationToken ct)
    {
        var (columns, values, truncated) = await ReadAsync(dataset, rows, ct);
        return TabularResult.Preview(columns, values, truncated);
    }

    private async Task<(List<TabularResult.Column>, List<IReadOnlyList<object?>>, bool)> ReadAsync(JsonObject dataset, int rows, CancellationToken ct)
    {
        var type = dataset["type"]?.GetValue<string>() ?? "";
        var properties = dataset["typeProperties"] as JsonObject ?? [];
        var file = LocateFile(properties);
        if (type.Equals("Parquet", StringComparison.OrdinalIgnoreCase))
            return await ReadParquetAsync(file, rows, ct);
        await using var stream = Open(file, properties["compressionCodec"]?.GetValue<string>());
        if (type.Equals("DelimitedText", StringComparison.OrdinalIgnoreCase))
            return ReadDelimited(stream, DelimitedTextFormat.From(properties), file, rows);
        if (type.Equals("Json", StringComparison.OrdinalIgnoreCase))
            return await ReadJsonAsync(stream, file, rows, ct);
        throw new DataStoreException(ErrorCodes.UnsupportedType, $"Dataset type '{type}' cannot be read from a FileServer; use DelimitedText, Json or Parquet.");
    }

    private static (List<TabularResult.Column>, List<IReadOnlyList<object?>>, bool) ReadDelimited(Stream stream, DelimitedTextFormat format, string file, int rows)
    {
        using var text = new StreamReader(stream, format.Encoding, detectEncodingFromByteOrderMarks: true);
        var reader = new DelimitedTextReader(text, format);
        var fields = new List<string?>();
        List<string>? header = null;
        if (format.FirstRowAsHeader && reader.TryReadRecord(fields))
            header = fields.Select((f, i) => string.IsNullOrEmpty(f) ? $"Prop_{i}" : f).ToList();
        var values = new List<IReadOnlyList<object?>>();
        var width = header?.Count ?? 0;
        var truncated = false;
        while (reader.TryReadRecord(fields))
        {
            if (values.Count == rows)
            {
                truncated = true;
                break;
            }
            if (header is not null && fields.Count != header.Count)
                throw new DataStoreException(ErrorCodes.InvalidData,
                    $"'{file}' line {reader.Line} has {fields.Count} columns where the header has {header.Count}; check columnDelimiter and quoteChar.");
            width = Math.Max(width, fields.Count);
            values.Add(fields.Cast<object?>().ToArray());
        }
        // Without a header, ADF names columns Prop_0, Prop_1, ...
        var names = header ?? Enumerable.Range(0, width).Select(i => $"Prop_{i}").ToList();
        return (names.Select(n => new TabularResult.Column(n, "String")).ToList(), values, truncated);
    }

    /// <summary>The first rows of a Parquet file (its schema from the footer: types are the file's own, not guessed).</summary>
    private static async Task<(List<TabularResult.Column>, List<IReadOnlyList<object?>>, bool)> ReadParquetAsync(string file, int rows, CancellationToken ct)
    {
        await using var source = new Formats.Parquet.ParquetSource(Copy.SourceFile.Local(file));
        var columns = await source.OpenAsync(ct);
        var batch = new Copy.RowBatch(columns.Select(c => c.Type).ToList(), Math.Max(1, rows + 1));
        batch.Reset(1);
        await source.ReadAsync(batch, ct);
        var values = Enumerable.Range(0, Math.Min(rows, batch.Count)).Select(r => (IReadOnlyList<object?>)batch.RowValues(r)).ToList();
        return (columns.Select(c => new TabularResult.Column(c.Name, c.Type == typeof(byte[]) ? "ByteArray" : c.Type.Name)).ToList(), values, batch.Count > rows);
    }

    private static async Task<(List<TabularResult.Column>, List<IReadOnlyList<object?>>, bool)> ReadJsonAsync(Stream stream, string file, int rows, CancellationToken ct)
    {
        var records = new List<JsonNode?>();
        var truncated = false;
        await foreach (var record in JsonRecords.ReadAsync(stream, file, ct))
        {
            if (records.Count == rows)
            {
                truncated = true;
                break;
            }
            records.Add(record);
        }
        var columns = JsonRecords.ColumnsOf(records);
        var values = records.Select(r => (IReadOnlyList<object?>)columns.Select(c => JsonRecords.ValueOf(r, c.Name)).ToArray()).ToList();
        return (columns, values, truncated);
    }

    /// <summary>The file a dataset names (location.folderPath / location.fileName); with no fileName, the folder's first file, as ADF does.</summary>
    /// <summary>The file a dataset's location names, for writing: its folder is created, the path passes the node's policy.</summary>
    internal string TargetFile(JsonObject properties)
    {
        var location = properties["location"] as JsonObject ?? [];
        var folderPath = location["folderPath"]?.GetValue<string>() ?? "";
        var fileName = location["fileName"]?.GetValue<string>()
                       ?? throw new DataStoreException(ErrorCodes.InvalidProperty, "The sink dataset has no location.fileName; name the file to write.");
        var folder = LocalFolders.Resolve(context.Policy, Root, folderPath);
        Directory.CreateDirectory(folder);
        return LocalFolders.Resolve(context.Policy, Root, Path.Combine(folderPath, fileName));
    }

    internal string SourceFile(JsonObject properties) => LocateFile(properties);

    /// <summary>A path under the linked service's folder as it is named there: how a split copy hands files to other nodes.</summary>
    internal string RelativeToRoot(string path) => Path.GetRelativePath(LocalFolders.Resolve(context.Policy, Root, ""), path);

    /// <summary>A path named relative to the linked service's folder, checked like every other path.</summary>
    internal string UnderRoot(string relative) => LocalFolders.Resolve(context.Policy, Root, relative);

    /// <summary>
    /// The files a copy source reads: the dataset's file, or, with the source's storeSettings (ADF's
    /// FileServerReadSettings) wildcardFileName and recursive, every matching file under the folder, in name order.
    /// Folders are not entered through symbolic links, and every file passes local folder path validation.
    /// </summary>
    internal IReadOnlyList<string> SourceFiles(JsonObject properties, JsonObject? storeSettings)
    {
        var wildcard = storeSettings?["wildcardFileName"]?.GetValue<string>();
        var recursive = storeSettings?["recursive"]?.GetValue<bool>() == true;
        if (wildcard is null && !recursive)
            return [LocateFile(properties)];
        var folderPath = storeSettings?["wildcardFolderPath"]?.GetValue<string>() ?? (properties["location"] as JsonObject)?["folderPath"]?.GetValue<string>() ?? "";
        var pattern = wildcard ?? (properties["location"] as JsonObject)?["fileName"]?.GetValue<string>() ?? "*";
        var options = new EnumerationOptions { RecurseSubdirectories = recursive, AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Hidden, MatchType = MatchType.Win32 };
        var root = LocalFolders.Resolve(context.Policy, Root, "");
        var files = MatchFolders(folderPath)
            .SelectMany(folder => Directory.EnumerateFiles(folder, pattern, options))
            .Select(f => LocalFolders.Resolve(context.Policy, Root, Path.GetRelativePath(root, f)))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return files.Count > 0
            ? files
            : throw new DataStoreException(ErrorCodes.PathNotFound, $"No file matches '{pattern}' in '{folderPath}'{(recursive ? " or below" : "")} under {Root}.");
    }

    /// <summary>
    /// The folders a folder path names: itself, or, with * and ? in its segments (ADF's wildcardFolderPath, such as
    /// "sales/2026-*"), every folder they match, one segment at a time, never entering a link.
    /// </summary>
    private List<string> MatchFolders(string folderPath)
    {
        var segments = folderPath.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries);
        if (!segments.Any(segment => segment.AsSpan().IndexOfAny('*', '?') >= 0))
        {
            var folder = LocalFolders.Resolve(context.Policy, Root, folderPath);
            RequireFolder(folder);
            return [folder];
        }
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Hidden, MatchType = MatchType.Win32 };
        var top = LocalFolders.Resolve(context.Policy, Root, "");
        RequireFolder(top);
        var folders = new List<string> { top };
        foreach (var segment in segments)
        {
            folders = segment.AsSpan().IndexOfAny('*', '?') >= 0
                ? folders.SelectMany(f => Directory.EnumerateDirectories(f, segment, options)).ToList()
                : folders.Select(f => Path.Combine(f, segment)).Where(Directory.Exists).ToList();
        }
        return folders.Select(f => LocalFolders.Resolve(context.Policy, Root, Path.GetRelativePath(top, f))).ToList();
    }

    internal static Stream OpenRead(string file, string? compression) => Open(file, compression);

    private string LocateFile(JsonObject properties)
    {
        var location = properties["location"] as JsonObject ?? [];
        var folderPath = location["folderPath"]?.GetValue<string>() ?? "";
        var fileName = location["fileName"]?.GetValue<string>();
        var folder = LocalFolders.Resolve(context.Policy, Root, folderPath);
        if (fileName is null)
        {
            RequireFolder(folder);
            return Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal).FirstOrDefault()
                   ?? throw new DataStoreException(ErrorCodes.PathNotFound, $"The folder '{folder}' has no files to read.");
        }
        var file = LocalFolders.Resolve(context.Policy, Root, Path.Combine(folderPath, fileName));
        if (!File.Exists(file))
            throw new DataStoreException(ErrorCodes.PathNotFound, Directory.Exists(file)
                ? $"'{file}' is a folder, not a file."
                : $"The file '{file}' does not exist on {context.HostName}.");
        return file;
    }

    private static Stream Open(string file, string? compression)
    {
        Stream stream;
        try
        {
            stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (UnauthorizedAccessException e)
        {
            throw Denied(file, e);
        }
        return compression?.ToUpperInvariant() switch
        {
            null or "" or "NONE" => stream,
            "GZIP" => new GZipStream(stream, CompressionMode.Decompress),
            "DEFLATE" => new DeflateStream(stream, CompressionMode.Decompress),
            "ZLIBDEFLATE" => new ZLibStream(stream, CompressionMode.Decompress),
            _ => throw new DataStoreException(ErrorCodes.InvalidProperty, $"compressionCodec '{compression}' is not supported; use none, gzip, deflate or zlibDeflate."),
        };
    }

    private void RequireFolder(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DataStoreException(ErrorCodes.PathNotFound, File.Exists(folder)
                ? $"'{folder}' is a file, not a folder."
                : $"The folder '{folder}' does not exist on {context.HostName}.");
    }

    private static DataStoreException Denied(string path, Exception e) =>
        new(ErrorCodes.PermissionDenied, $"permission denied: the node's service account cannot read '{path}'.", e);
}
