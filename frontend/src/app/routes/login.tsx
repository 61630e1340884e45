import { LoginForm } from '@/features/auth/components/LoginForm';

export function LoginRoute({ fetchImpl }: { fetchImpl?: typeof fetch }) {
  return (
    <main id="main" className="flex min-h-screen items-center justify-center bg-slate-50 p-6 dark:bg-slate-950">
      <div className="w-full max-w-md rounded-xl bg-white p-6 shadow ring-1 ring-slate-200 dark:bg-slate-900 dark:ring-slate-800">
        <LoginForm fetchImpl={fetchImpl} />
      </div>
    </main>
  );
}
