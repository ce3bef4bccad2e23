using DuckDB.NET.Data;

namespace DuckEmbed.Processor.Input;

/// <summary>One window's ids, held in their own .NET type (no boxing per row).</summary>
internal abstract class IdValues
{
    /// <summary>Reads the id at <paramref name="ordinal"/> of the current row into slot <paramref name="index"/>.</summary>
    public abstract void Read(DuckDBDataReader reader, int ordinal, int index);

    /// <summary>Appends the id in slot <paramref name="index"/> to <paramref name="row"/>.</summary>
    public abstract IDuckDBAppenderRow Append(IDuckDBAppenderRow row, int index);

    /// <summary>
    /// Copies the bytes of <paramref name="count"/> ids from slot <paramref name="start"/> into <paramref name="destination"/>,
    /// as .NET lays them out: DuckDB's own layout for its integer and floating-point types, which alone are copied so.
    /// </summary>
    public abstract void CopyBytes(int start, int count, Span<byte> destination);
}

/// <summary>Ids of type <typeparamref name="T"/>.</summary>
internal sealed class IdValues<T>(int capacity, Func<DuckDBDataReader, int, T> read, Func<IDuckDBAppenderRow, T, IDuckDBAppenderRow> append) : IdValues
{
    private readonly T[] _values = new T[capacity];

    public override void Read(DuckDBDataReader reader, int ordinal, int index) => _values[index] = read(reader, ordinal);

    public override IDuckDBAppenderRow Append(IDuckDBAppenderRow row, int index) => append(row, _values[index]);

    /// <summary>The ids in their slots.</summary>
    public ReadOnlySpan<T> Values => _values;

    public override void CopyBytes(int start, int count, Span<byte> destination)
    {
        if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            throw new InvalidOperationException($"Ids of {typeof(T).Name} have no bytes of their own to copy.");
        }
        System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(
            ref System.Runtime.CompilerServices.Unsafe.As<T, byte>(ref _values[start]), count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>()).CopyTo(destination);
    }
}
