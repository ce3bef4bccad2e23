using DuckEmbed.Processor.Pipeline;

namespace DuckEmbed.Processor.Tests;

/// <summary>The recent texts' vectors in reused slots: a slot is never overwritten while a window has still to copy from it.</summary>
public sealed class RecentVectorsTests
{
    private static UInt128 Key(int text) => RecentVectors.Key($"text {text}");

    private static float[] Vector(int text) => [text, -text, text / 2f];

    private static RecentVectors.Entry Embedded(RecentVectors recent, int text)
    {
        var entry = recent.Reserve(Key(text), Task.CompletedTask)!;
        recent.Set(entry, Vector(text));
        return entry;
    }

    [Fact]
    public void A_slot_gone_from_the_recent_texts_keeps_its_vector_until_the_window_that_will_read_it_has_copied_it()
    {
        var recent = new RecentVectors(capacity: 2);
        Embedded(recent, 1);
        Assert.True(recent.TryGet(Key(1), out var pinned));

        // Text 1 goes (capacity 2), and many texts come and go after it.
        for (var text = 2; text < 50; text++)
        {
            Embedded(recent, text);
        }

        Assert.False(recent.TryGet(Key(1), out _));
        var copy = new float[3];
        recent.CopyTo(pinned, copy);
        Assert.Equal(Vector(1), copy);
    }

    [Fact]
    public void A_slot_is_reused_once_its_text_is_gone_and_read_so_memory_stays_flat()
    {
        var recent = new RecentVectors(capacity: 16);
        for (var text = 0; text < 10_000; text++)
        {
            Embedded(recent, text);
            if (recent.TryGet(Key(text - 3), out var entry))
            {
                var copy = new float[3];
                recent.CopyTo(entry, copy);
                Assert.Equal(Vector(text - 3), copy);
            }
        }

        Assert.Equal(17, recent.SlotsMade);
    }

    [Fact]
    public void A_text_reserved_but_not_yet_embedded_keeps_its_slot_when_it_is_pushed_out()
    {
        var recent = new RecentVectors(capacity: 1);
        var slow = recent.Reserve(Key(1), Task.CompletedTask)!;
        Assert.True(recent.TryGet(Key(1), out var reader));
        Embedded(recent, 2); // pushes text 1 out before its window has set it
        Embedded(recent, 3);

        recent.Set(slow, Vector(1));

        var copy = new float[3];
        recent.CopyTo(reader, copy);
        Assert.Equal(Vector(1), copy);
        // And the texts after it were not written over by its late vector.
        Assert.True(recent.TryGet(Key(3), out var third));
        recent.CopyTo(third, copy);
        Assert.Equal(Vector(3), copy);
    }

    [Fact]
    public void Without_capacity_nothing_is_kept()
    {
        var recent = new RecentVectors(capacity: 0);

        Assert.Null(recent.Reserve(Key(1), Task.CompletedTask));
        Assert.False(recent.TryGet(Key(1), out _));
    }
}
