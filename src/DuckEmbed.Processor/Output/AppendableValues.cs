using System.Collections;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// Values handed to DuckDB.NET's appender as an <c>ARRAY</c> or <c>LIST</c> value without a copy or an allocation per
/// row. The appender takes such a value as an <see cref="ICollection"/> that it enumerates straight into DuckDB's
/// vector; an array would do, but a vector here is a slice of the generator's memory, and an array's enumerator is a
/// new object per row. This wrapper is its own enumerator and is reused row after row, so it serves one appender thread.
/// </summary>
internal sealed class AppendableValues<T> : ICollection, IEnumerable<T>, IEnumerator<T>
{
    private ReadOnlyMemory<T> _values;
    private int _index;

    /// <summary>This wrapper, now standing for <paramref name="values"/> until the next call.</summary>
    public AppendableValues<T> Of(ReadOnlyMemory<T> values)
    {
        _values = values;
        _index = -1;
        return this;
    }

    public int Count => _values.Length;

    public bool IsSynchronized => false;

    public object SyncRoot => this;

    public IEnumerator<T> GetEnumerator()
    {
        _index = -1;
        return this;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void CopyTo(Array array, int index) => _values.ToArray().CopyTo(array, index);

    public T Current => _values.Span[_index];

    object? IEnumerator.Current => Current;

    public bool MoveNext() => ++_index < _values.Length;

    public void Reset() => _index = -1;

    public void Dispose() { }
}
