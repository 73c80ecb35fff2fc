package io.kitex4j.core.middleware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class ObservedCallTest {

    /** Records each onEnd and whether this future was already complete then. */
    private static final class Recording extends ObservedCall {
        final List<String> ends = new ArrayList<>();

        @Override
        protected void onEnd(Throwable failure) {
            ends.add((failure == null ? "ok" : failure.getClass().getSimpleName()) + (isDone() ? " after" : " before"));
        }
    }

    @Test
    void endsOnceBeforeCompletingWithTheSameValue() throws Exception {
        final Recording call = new Recording();
        final CompletableFuture<Object> next = new CompletableFuture<>();
        final CompletableFuture<Object> returned = call.follow(next);
        assertThat(returned).isSameAs(call).isNotDone();
        next.complete("v");
        assertThat(returned.get()).isEqualTo("v");
        assertThat(call.ends).containsExactly("ok before");
        call.cancel(false);   // already done: no second end, nothing passed on
        assertThat(call.ends).containsExactly("ok before");
        assertThat(next.isCancelled()).isFalse();
    }

    @Test
    void failureAndCancellationEndTheCallOnce() {
        final Recording failed = new Recording();
        failed.follow(CompletableFuture.failedFuture(new IllegalStateException("boom")));
        assertThatThrownBy(failed::get).isInstanceOf(ExecutionException.class).hasRootCauseMessage("boom");
        assertThat(failed.ends).containsExactly("IllegalStateException before");

        final Recording cancelled = new Recording();
        final CompletableFuture<Object> next = new CompletableFuture<>();
        cancelled.follow(next);
        assertThat(cancelled.cancel(true)).isTrue();
        // Passed on: the attempt below is aborted (a retrying middleware dropping a backup race's loser).
        assertThat(next.isCancelled()).isTrue();
        next.complete("late");
        assertThat(cancelled.ends).containsExactly("CancellationException before");
        assertThatThrownBy(cancelled::join).isInstanceOf(CancellationException.class);
    }

    @Test
    void invokeTurnsAThrowAndANullIntoFailedFutures() {
        final Endpoint throwing = (ctx, req) -> {
            throw new IllegalArgumentException("bad");
        };
        assertThat(ObservedCall.invoke(throwing, null, null)).isCompletedExceptionally();
        assertThatThrownBy(ObservedCall.invoke(throwing, null, null)::join).hasRootCauseMessage("bad");
        final Endpoint nulls = (ctx, req) -> null;
        assertThatThrownBy(ObservedCall.invoke(nulls, null, null)::join)
                .hasRootCauseInstanceOf(NullPointerException.class)
                .hasRootCauseMessage("the next endpoint returned null");
        final Recording call = new Recording();
        assertThatThrownBy(call.follow(null)::join).hasRootCauseInstanceOf(NullPointerException.class);
        assertThat(call.ends).containsExactly("NullPointerException before");
    }

    @Test
    void aThrowingOnEndStillCompletesTheFuture() {
        final ObservedCall call = new ObservedCall() {
            @Override
            protected void onEnd(Throwable failure) {
                throw new IllegalStateException("observer broke");
            }
        };
        call.follow(CompletableFuture.completedFuture("v"));
        assertThat(call.join()).isEqualTo("v");
    }
}
