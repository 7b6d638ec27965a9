namespace Ferry.Engine.Copy;

/// <summary>
/// One column of a <see cref="RowBatch"/>: a value per row in an array of the column's own type (no boxing) and a null
/// flag per row. The boxed accessors are for the slow paths only: error messages, the skipped-row log, row-at-a-time stores.
/// </summary>
public abstract class ColumnBuffer(int capacity)
{
    public bool[] Nulls { get; } = new bool[capacity];

    public abstract Type Type { get; }

    public abstract object? GetBoxed(int row);

    public abstract void SetBoxed(int row, object? value);

    /// <summary>Moves row <paramref name="from"/> to <paramref name="to"/> (dropping rows from a batch).</summary>
    public abstract void Move(int from, int to);

    /// <summary>Copies <paramref name="count"/> rows from <paramref name="from"/> into <paramref name="target"/> (a buffer of the same type) at <paramref name="to"/>.</summary>
    public abstract void CopyRows(int from, ColumnBuffer target, int to, int count);

    /// <summary>Forgets references, so a batch waiting in the pool keeps no strings or arrays alive.</summary>
    public abstract void Clear(int count);

    /// <summary>The bytes the value in <paramref name="row"/> counts for in dataRead/dataWritten (<see cref="CopyBytes"/>).</summary>
    public abstract long BytesOf(int row);

    /// <summary>The value in <paramref name="row"/> as text (<see cref="TextValues"/>), formatted into <paramref name="scratch"/> when it is not text already.</summary>
    public abstract ReadOnlySpan<char> Text(int row, Span<char> scratch, TypeConversionSettings settings);

    public static ColumnBuffer For(Type type, int capacity) =>
        (ColumnBuffer)Activator.CreateInstance(typeof(ColumnBuffer<>).MakeGenericType(type), capacity)!;
}

public sealed class ColumnBuffer<T>(int capacity) : ColumnBuffer(capacity)
{
    public T[] Values { get; } = new T[capacity];

    public override Type Type => typeof(T);

    public override object? GetBoxed(int row) => Nulls[row] ? null : Values[row];

    public override void SetBoxed(int row, object? value)
    {
        Nulls[row] = value is null;
        Values[row] = value is null ? default! : (T)value;
    }

    public void Set(int row, T value)
    {
        Nulls[row] = false;
        Values[row] = value;
    }

    public void SetNull(int row)
    {
        Nulls[row] = true;
        Values[row] = default!;
    }

    public override void Move(int from, int to)
    {
        Nulls[to] = Nulls[from];
        Values[to] = Values[from];
    }

    public override void CopyRows(int from, ColumnBuffer target, int to, int count)
    {
        var typed = (ColumnBuffer<T>)target;
        Array.Copy(Values, from, typed.Values, to, count);
        Array.Copy(Nulls, from, typed.Nulls, to, count);
    }

    public override void Clear(int count)
    {
        if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            Array.Clear(Values, 0, count);
    }

    public override ReadOnlySpan<char> Text(int row, Span<char> scratch, TypeConversionSettings settings) =>
        TextValues.Format(Values[row], scratch, settings);

    public override long BytesOf(int row) => Nulls[row] ? 0 : CopyBytes.Of(Values[row]);
}

/// <summary>
/// Rows moving from a source to a sink, column by column: up to <see cref="Capacity"/> rows, numbered from
/// <see cref="FirstRow"/> (1-based over the whole copy) unless rows were dropped. Rows a conversion or a sink refuses
/// are recorded in <see cref="Rejections"/> with their reason.
/// </summary>
public sealed class RowBatch
{
    public const int DefaultCapacity = 4096;
    private long[]? _rowNumbers;

    public RowBatch(IReadOnlyList<Type> types, int capacity = DefaultCapacity)
    {
        Capacity = capacity;
        Columns = types.Select(t => ColumnBuffer.For(t, capacity)).ToArray();
    }

    /// <summary>A batch whose columns are set by its user (a view over another batch's buffers).</summary>
    public RowBatch(int width, int capacity)
    {
        Capacity = capacity;
        Columns = new ColumnBuffer[width];
    }

    public ColumnBuffer[] Columns { get; }
    public int Capacity { get; }
    public int Count { get; set; }
    public long FirstRow { get; set; }
    public List<(int Index, string Reason)> Rejections { get; } = [];

    public bool IsFull => Count == Capacity;

    public long RowNumber(int index) => _rowNumbers?[index] ?? FirstRow + index;

    public void Reject(int index, string reason) => Rejections.Add((index, reason));

    /// <summary>Starts the batch over, numbered from <paramref name="firstRow"/>.</summary>
    public void Reset(long firstRow)
    {
        foreach (var column in Columns.Distinct())
            column.Clear(Count);
        Count = 0;
        FirstRow = firstRow;
        _rowNumbers = null;
        Rejections.Clear();
    }

    /// <summary>Takes the shape of <paramref name="source"/> (count, numbering, rejections) for a batch made from it.</summary>
    public void NumberLike(RowBatch source)
    {
        Count = source.Count;
        FirstRow = source.FirstRow;
        _rowNumbers = source._rowNumbers;
        Rejections.Clear();
    }

    public object?[] RowValues(int index) => Columns.Select(c => c.GetBoxed(index)).ToArray();

    /// <summary>Drops the rejected rows (the caller has dealt with them), keeping the other rows' numbers.</summary>
    public void DropRejected()
    {
        if (Rejections.Count == 0)
            return;
        var dropped = new HashSet<int>(Rejections.Select(r => r.Index));
        var numbers = new long[Capacity];
        var buffers = Columns.Distinct().ToArray();
        var kept = 0;
        for (var i = 0; i < Count; i++)
        {
            if (dropped.Contains(i))
                continue;
            numbers[kept] = RowNumber(i);
            if (kept != i)
            {
                foreach (var buffer in buffers)
                    buffer.Move(i, kept);
            }
            kept++;
        }
        Count = kept;
        _rowNumbers = numbers;
        Rejections.Clear();
    }
}
