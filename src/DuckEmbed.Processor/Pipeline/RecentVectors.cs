using System.Diagnostics.CodeAnalysis;
using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace DuckEmbed.Processor.Pipeline;

/// <summary>
/// The texts embedded most recently, by a 128-bit hash of the text, each with its vector once the window that embeds
/// it has it, so that a text repeated across windows is embedded once, even when the earlier window is still with
/// the generator. Bounded: the oldest entry goes when a new one comes in, so memory stays flat whatever the table's
/// size (the capacity × the vector's floats). Safe to use from several threads.
/// </summary>
internal sealed class RecentVectors(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<UInt128, Entry> _entries = new(capacity);
    private readonly Queue<UInt128> _order = new(capacity);

    /// <summary>A text's vector, set by the window that embeds it before <see cref="Ready"/> completes.</summary>
    public sealed class Entry(Task ready)
    {
        private float[]? _vector;

        /// <summary>Completes when <see cref="Vector"/> is set; faults or is cancelled if that window's embedding did.</summary>
        public Task Ready => ready;

        public float[] Vector => _vector ?? throw new InvalidOperationException("The vector is not embedded yet; await Ready first.");

        /// <summary>
        /// Keeps a copy of <paramref name="vector"/>, not the generator's memory: a slice would keep its whole call's
        /// block (megabytes in the large object heap) alive while any text of it is here, and the GC then lets more
        /// dead blocks pile up before it collects: peak RSS +15 % (short texts, 250k rows, windows of 8,192), measured.
        /// </summary>
        public void Set(ReadOnlyMemory<float> vector) => _vector = vector.ToArray();
    }

    public bool TryGet(UInt128 key, [NotNullWhen(true)] out Entry? entry)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(key, out entry);
        }
    }

    /// <summary>
    /// Adds the text of <paramref name="key"/>, whose vector its window will set once <paramref name="ready"/>
    /// completes; <c>null</c> if there is no room for any (capacity 0) or the text is already there.
    /// </summary>
    public Entry? Reserve(UInt128 key, Task ready)
    {
        if (capacity == 0)
        {
            return null;
        }
        lock (_lock)
        {
            var entry = new Entry(ready);
            if (!_entries.TryAdd(key, entry))
            {
                return null;
            }
            _order.Enqueue(key);
            if (_order.Count > capacity)
            {
                _entries.Remove(_order.Dequeue());
            }
            return entry;
        }
    }

    // XxHash128 of the text's UTF-16 code units: byte-identical texts have the same key, and a collision between two
    // different texts among a run's is a 2^-128 chance per pair.
    public static UInt128 Key(string text) => XxHash128.HashToUInt128(MemoryMarshal.AsBytes(text.AsSpan()));
}
