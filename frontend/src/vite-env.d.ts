/// <reference types="vite/client" />
import './types/bridge';
