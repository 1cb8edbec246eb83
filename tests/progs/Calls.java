// A JVM with known method calls for the jvm: runtime tests (tests/runtime/jvm.test):
// middle() 7 times, leaf() 10 times, one System.gc(). An argument waits that many ms first (-p).
public class Calls {
    static int leaf(int n) {
        return n + 1;
    }

    static int middle(int n) {
        return leaf(n) * 2;
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length > 0)
            Thread.sleep(Integer.parseInt(args[0]));
        int s = 0;
        for (int i = 0; i < 7; i++)
            s += middle(i);
        for (int i = 0; i < 3; i++)
            s += leaf(i);
        System.gc();
        System.out.println(s);
    }
}
