import { AppProvider } from './provider';
import { AppRouter, AppRoutes, type AppRoutesProps } from './router';

export function App({ initialPath, ...deps }: AppRoutesProps & { initialPath?: string }) {
  return (
    <AppProvider fetchImpl={deps.fetchImpl}>
      <AppRouter initialPath={initialPath}>
        <AppRoutes {...deps} />
      </AppRouter>
    </AppProvider>
  );
}
