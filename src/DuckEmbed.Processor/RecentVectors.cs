using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace DuckEmbed.Processor;

/// <summary>
/// The vectors of the texts embedded most recently, by a 128-bit hash of the text, so that a text repeated across
/// windows is embedded once. Bounded: the oldest entry goes when a new one comes in, so memory stays flat whatever
/// the table's size (<see cref="Capacity"/> × the vector's floats).
/// </summary>
internal sealed class RecentVectors(int capacity)
{
    private readonly Dictionary<UInt128, float[]> _vectors = new(capacity);
    private readonly Queue<UInt128> _order = new(capacity);

    public int Capacity => capacity;

    public bool TryGet(UInt128 key, out float[] vector) => _vectors.TryGetValue(key, out vector!);

    /// <summary>Remembers a copy of <paramref name="vector"/> (the generator's own memory may be reused or large).</summary>
    public void Add(UInt128 key, ReadOnlyMemory<float> vector)
    {
        if (capacity == 0 || !_vectors.TryAdd(key, vector.ToArray()))
        {
            return;
        }
        _order.Enqueue(key);
        if (_order.Count > capacity)
        {
            _vectors.Remove(_order.Dequeue());
        }
    }

    // XxHash128 of the text's UTF-16 code units: byte-identical texts have the same key, and a collision between two
    // different texts among a run's is a 2^-128 chance per pair.
    public static UInt128 Key(string text) => XxHash128.HashToUInt128(MemoryMarshal.AsBytes(text.AsSpan()));
}
