using DuckEmbed.Processor.Pipeline;

namespace DuckEmbed.Processor.Tests;

/// <summary>The recent texts' ring of slots: a slot is never overwritten while a window has still to write or read it.</summary>
public sealed class RecentVectorsTests
{
    private static readonly Task Ready = Task.CompletedTask;

    private static float[] Vector(float value) => [value, value + 1, value + 2];

    private static RecentVectors.Entry Remember(RecentVectors recent, string text, float value)
    {
        var entry = recent.Reserve(RecentVectors.Key(text), Ready)!;
        recent.Set(entry, Vector(value));
        return entry;
    }

    [Fact]
    public void A_slot_a_later_window_will_read_is_not_given_to_a_new_text_until_that_window_has_copied_it()
    {
        var recent = new RecentVectors(2);
        Remember(recent, "a", 1);
        Remember(recent, "b", 2);
        Assert.True(recent.TryGet(RecentVectors.Key("a"), out var a));

        Assert.Null(recent.Reserve(RecentVectors.Key("c"), Ready));
        var copy = new float[3];
        recent.CopyTo(a, copy);

        Assert.Equal(Vector(1), copy);
        Assert.NotNull(recent.Reserve(RecentVectors.Key("c"), Ready));
        Assert.False(recent.TryGet(RecentVectors.Key("a"), out _));
    }

    [Fact]
    public void A_slot_whose_window_has_not_written_it_yet_is_not_given_to_a_new_text()
    {
        var recent = new RecentVectors(1);
        var a = recent.Reserve(RecentVectors.Key("a"), Ready)!;

        Assert.Null(recent.Reserve(RecentVectors.Key("b"), Ready));
        recent.Set(a, Vector(1));
        Assert.NotNull(recent.Reserve(RecentVectors.Key("b"), Ready));
    }

    [Fact]
    public void The_slot_of_a_window_that_failed_or_of_a_reader_that_stopped_is_let_go()
    {
        var recent = new RecentVectors(1);
        var a = recent.Reserve(RecentVectors.Key("a"), Ready)!;
        recent.Release(a);
        var b = Remember(recent, "b", 2);
        Assert.True(recent.TryGet(RecentVectors.Key("b"), out _));
        recent.Release(b);

        Assert.NotNull(recent.Reserve(RecentVectors.Key("c"), Ready));
    }

    [Fact]
    public void Each_text_reads_back_its_own_vector_as_the_ring_goes_round()
    {
        var recent = new RecentVectors(3);
        for (var i = 0; i < 10; i++)
        {
            Remember(recent, $"text {i}", i * 10);
            for (var j = Math.Max(0, i - 2); j <= i; j++)
            {
                Assert.True(recent.TryGet(RecentVectors.Key($"text {j}"), out var entry));
                var copy = new float[3];
                recent.CopyTo(entry, copy);
                Assert.Equal(Vector(j * 10), copy);
            }
            Assert.False(recent.TryGet(RecentVectors.Key($"text {i - 3}"), out _));
        }
    }

    [Fact]
    public void A_vector_not_yet_embedded_cannot_be_read()
    {
        var recent = new RecentVectors(1);
        var pending = new TaskCompletionSource();
        var a = recent.Reserve(RecentVectors.Key("a"), pending.Task)!;

        Assert.Throws<InvalidOperationException>(() => recent.CopyTo(a, new float[3]));
    }
}
