using System.Diagnostics.CodeAnalysis;
using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace DuckEmbed.Processor.Pipeline;

/// <summary>
/// The texts embedded most recently, by a 128-bit hash of the text, each with its vector once the window that embeds
/// it has it, so that a text repeated across windows is embedded once, even when the earlier window is still with
/// the generator. Bounded: the oldest entry goes when a new one comes in. The vectors live in slots of arrays made
/// once and reused, not in an array per text: a slot is reused only once its entry is gone and no window still
/// waits to copy from it (each window that will read an entry pins it, as does the window that fills it), so memory
/// stays flat whatever the table's size and nothing is allocated per text. Safe to use from several threads.
/// </summary>
internal sealed class RecentVectors(int capacity)
{
    // Slots per storage array: 1,024 vectors of 384 floats are 1.5 MB.
    private const int SlotsPerChunk = 1024;

    private readonly Lock _lock = new();
    private readonly Dictionary<UInt128, Entry> _entries = new(capacity);
    private readonly Queue<(UInt128 Key, Entry Entry)> _order = new(capacity);
    private readonly Stack<int> _freeSlots = new();
    private readonly List<float[]> _chunks = [];
    private int _slotsMade;
    private int _dimensions;

    /// <summary>A text's place in the recent texts: its vector is there once <see cref="Ready"/> has completed.</summary>
    public sealed class Entry(Task ready, int slot)
    {
        /// <summary>Completes when the vector is set; faults or is cancelled if that window's embedding did.</summary>
        public Task Ready => ready;

        internal int Slot => slot;

        // Windows that will still read or write the slot; guarded by the owner's lock.
        internal int Pins { get; set; } = 1;

        internal bool Evicted { get; set; }
    }

    /// <summary>The entry of <paramref name="key"/>, pinned for the caller, who must <see cref="CopyTo"/> from it once.</summary>
    public bool TryGet(UInt128 key, [NotNullWhen(true)] out Entry? entry)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out entry))
            {
                return false;
            }
            entry.Pins++;
            return true;
        }
    }

    /// <summary>
    /// Adds the text of <paramref name="key"/>, whose vector its window will <see cref="Set"/> before
    /// <paramref name="ready"/> completes; <c>null</c> if there is no room for any (capacity 0) or the text is already there.
    /// </summary>
    public Entry? Reserve(UInt128 key, Task ready)
    {
        if (capacity == 0)
        {
            return null;
        }
        lock (_lock)
        {
            if (_entries.ContainsKey(key))
            {
                return null;
            }
            var entry = new Entry(ready, _freeSlots.TryPop(out var slot) ? slot : _slotsMade++);
            _entries.Add(key, entry);
            _order.Enqueue((key, entry));
            if (_order.Count > capacity)
            {
                var (oldKey, old) = _order.Dequeue();
                _entries.Remove(oldKey);
                old.Evicted = true;
                if (old.Pins == 0)
                {
                    _freeSlots.Push(old.Slot);
                }
            }
            return entry;
        }
    }

    /// <summary>Copies <paramref name="vector"/> into the slot of <paramref name="entry"/> (which this window reserved) and unpins it.</summary>
    public void Set(Entry entry, ReadOnlySpan<float> vector)
    {
        Span<float> slot;
        lock (_lock)
        {
            slot = SlotOf(entry, vector.Length);
        }
        // The slot is this entry's while it is pinned, and nobody reads it before Ready completes.
        vector.CopyTo(slot);
        Release(entry);
    }

    /// <summary>Copies the vector of <paramref name="entry"/>, which must be <see cref="Entry.Ready"/>, and unpins it.</summary>
    public void CopyTo(Entry entry, Span<float> destination)
    {
        Span<float> slot;
        lock (_lock)
        {
            slot = SlotOf(entry, _dimensions);
        }
        slot.CopyTo(destination);
        Release(entry);
    }

    /// <summary>Slots made so far: at most the capacity and the entries gone but still pinned.</summary>
    internal int SlotsMade
    {
        get
        {
            lock (_lock)
            {
                return _slotsMade;
            }
        }
    }

    /// <summary>The length of the vectors held (0 before the first is set).</summary>
    public int Dimensions
    {
        get
        {
            lock (_lock)
            {
                return _dimensions;
            }
        }
    }

    // Called under the lock: the slot's storage, made when first needed (the vectors' length is known by then).
    private Span<float> SlotOf(Entry entry, int dimensions)
    {
        if (_dimensions == 0)
        {
            _dimensions = dimensions;
        }
        else if (dimensions != _dimensions)
        {
            throw new InvalidOperationException($"A vector of {dimensions} dimensions among vectors of {_dimensions}.");
        }
        var chunk = entry.Slot / SlotsPerChunk;
        while (_chunks.Count <= chunk)
        {
            _chunks.Add(new float[SlotsPerChunk * _dimensions]);
        }
        return _chunks[chunk].AsSpan(entry.Slot % SlotsPerChunk * _dimensions, _dimensions);
    }

    private void Release(Entry entry)
    {
        lock (_lock)
        {
            entry.Pins--;
            if (entry.Pins == 0 && entry.Evicted)
            {
                _freeSlots.Push(entry.Slot);
            }
        }
    }

    // XxHash128 of the text's UTF-16 code units: byte-identical texts have the same key, and a collision between two
    // different texts among a run's is a 2^-128 chance per pair.
    public static UInt128 Key(string text) => XxHash128.HashToUInt128(MemoryMarshal.AsBytes(text.AsSpan()));
}
