using System.Diagnostics.CodeAnalysis;
using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace DuckEmbed.Processor.Pipeline;

/// <summary>
/// The texts embedded most recently, by a 128-bit hash of the text, each with its vector once the window that embeds
/// it has it, so that a text repeated across windows is embedded once, even when the earlier window is still with
/// the generator. Bounded and allocation-free once full: the vectors live in a ring of reused slots (capacity × the
/// vector's floats, allocated in chunks as it first fills), and a new text takes the oldest text's slot. A slot is
/// held while its window has still to write it or a later window has still to read it, and a new text that comes to a
/// held slot is not remembered rather than overwrite it. Safe to use from several threads.
/// </summary>
internal sealed class RecentVectors(int capacity)
{
    // Slots come in chunks of this many: a short run allocates what it uses, a long one 1.5 MB at a time (384 floats).
    private const int SlotsPerChunk = 1_024;

    private readonly Lock _lock = new();
    private readonly Dictionary<UInt128, Entry> _entries = new(capacity);
    private readonly Entry?[] _slotEntries = new Entry?[capacity];
    // Per slot: 1 while its window has not written it, plus 1 per window that will read it.
    private readonly int[] _holds = new int[capacity];
    private readonly float[]?[] _chunks = new float[]?[(capacity + SlotsPerChunk - 1) / SlotsPerChunk];
    private int _dimensions;
    private int _nextSlot;

    /// <summary>A remembered text: where its vector is, and when it is there.</summary>
    /// <param name="Key">The text's hash.</param>
    /// <param name="Slot">Where its vector is.</param>
    /// <param name="Ready">Completes when its window has written the vector; faults or is cancelled if that window's embedding did.</param>
    public sealed record Entry(UInt128 Key, int Slot, Task Ready);

    /// <summary>
    /// The entry of <paramref name="key"/>, held for the caller until it has read it with <see cref="CopyTo"/> (or let
    /// it go with <see cref="Release"/>).
    /// </summary>
    public bool TryGet(UInt128 key, [NotNullWhen(true)] out Entry? entry)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out entry))
            {
                return false;
            }
            _holds[entry.Slot]++;
            return true;
        }
    }

    /// <summary>
    /// Adds the text of <paramref name="key"/>, whose vector its window will <see cref="Set"/> (or, if it
    /// fails, <see cref="Release"/>) once <paramref name="ready"/> completes; <c>null</c> if there is no room for any
    /// (capacity 0), the text is already there, or the slot it would take is still held.
    /// </summary>
    public Entry? Reserve(UInt128 key, Task ready)
    {
        if (capacity == 0)
        {
            return null;
        }
        lock (_lock)
        {
            var slot = _nextSlot;
            if (_holds[slot] > 0 || _entries.ContainsKey(key))
            {
                return null;
            }
            if (_slotEntries[slot] is { } oldest)
            {
                _entries.Remove(oldest.Key);
            }
            var entry = new Entry(key, slot, ready);
            _entries.Add(key, entry);
            _slotEntries[slot] = entry;
            _holds[slot] = 1;
            _nextSlot = (slot + 1) % capacity;
            return entry;
        }
    }

    /// <summary>Copies <paramref name="vector"/> into the slot of <paramref name="entry"/>, reserved by the caller.</summary>
    public void Set(Entry entry, ReadOnlySpan<float> vector)
    {
        float[] chunk;
        lock (_lock)
        {
            if (_dimensions == 0)
            {
                _dimensions = vector.Length;
            }
            else if (vector.Length != _dimensions)
            {
                throw new InvalidOperationException($"A vector of {vector.Length} floats after vectors of {_dimensions}.");
            }
            chunk = _chunks[entry.Slot / SlotsPerChunk] ??= new float[SlotsPerChunk * _dimensions];
        }
        vector.CopyTo(chunk.AsSpan(entry.Slot % SlotsPerChunk * _dimensions, _dimensions));
        Release(entry);
    }

    /// <summary>Copies the vector of <paramref name="entry"/>, held by the caller and ready, and lets the slot go.</summary>
    public void CopyTo(Entry entry, Span<float> destination)
    {
        if (!entry.Ready.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("The vector is not embedded yet; await Ready first.");
        }
        float[] chunk;
        lock (_lock)
        {
            chunk = _chunks[entry.Slot / SlotsPerChunk]!;
        }
        chunk.AsSpan(entry.Slot % SlotsPerChunk * _dimensions, _dimensions).CopyTo(destination);
        Release(entry);
    }

    /// <summary>Lets the slot of <paramref name="entry"/> go: unread by a window that stopped, or unwritten by one that failed.</summary>
    public void Release(Entry entry)
    {
        lock (_lock)
        {
            _holds[entry.Slot]--;
        }
    }

    /// <summary>The length of the vectors (0 before the first).</summary>
    public int Dimensions => Volatile.Read(ref _dimensions);

    // XxHash128 of the text's UTF-16 code units: byte-identical texts have the same key, and a collision between two
    // different texts among a run's is a 2^-128 chance per pair.
    public static UInt128 Key(string text) => XxHash128.HashToUInt128(MemoryMarshal.AsBytes(text.AsSpan()));
}
