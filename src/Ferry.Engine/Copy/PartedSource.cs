using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Copy;

/// <summary>A copy's source as the parts that are read at once (one part unless parallelCopies splits it); every part has the same columns.</summary>
public sealed class PartedSource(IReadOnlyList<ICopySource> parts) : IAsyncDisposable
{
    public IReadOnlyList<ICopySource> Parts { get; } = parts;

    public long BytesRead => Parts.Sum(p => p.BytesRead);
    public int FilesRead => Parts.Sum(p => p.FilesRead);

    public async Task<IReadOnlyList<CopyColumn>> OpenAsync(CancellationToken ct)
    {
        var columns = await Parts[0].OpenAsync(ct);
        foreach (var part in Parts.Skip(1))
        {
            var other = await part.OpenAsync(ct);
            if (!other.Select(c => (c.Name.ToUpperInvariant(), c.Type)).SequenceEqual(columns.Select(c => (c.Name.ToUpperInvariant(), c.Type))))
                throw new DataStoreException(ErrorCodes.InvalidData,
                    $"The parts of the source do not have the same columns: ({string.Join(", ", columns.Select(c => c.Name))}) and ({string.Join(", ", other.Select(c => c.Name))}).");
        }
        return columns;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var part in Parts)
            await part.DisposeAsync();
    }
}
